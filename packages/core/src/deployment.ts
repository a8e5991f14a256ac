// Deployment types, clouds and the shared-responsibility matrix: data rendered by the console as a table.
export const PLANS = ["saas", "dedicated", "customer_managed"] as const;
export type Plan = (typeof PLANS)[number];
export const PLAN_LABELS: Record<Plan, string> = {
  saas: "SaaS (multi-tenant)",
  dedicated: "Dedicated",
  customer_managed: "Customer-managed",
};

export const CLOUDS = ["aws", "gcp", "azure", "local"] as const;
export type Cloud = (typeof CLOUDS)[number];
export const CLOUD_LABELS: Record<Cloud, string> = {
  aws: "AWS",
  gcp: "Google Cloud",
  azure: "Azure",
  local: "Local cloud",
};

export type Party = "provider" | "customer" | "shared";
export const PARTY_LABELS: Record<Party, string> = {
  provider: "Provider",
  customer: "Customer",
  shared: "Shared",
};

export interface ResponsibilityCell {
  party: Party;
  detail: string;
}
export interface ResponsibilityRow {
  area: string;
  saas: ResponsibilityCell;
  dedicated: ResponsibilityCell;
  customer_managed: ResponsibilityCell;
}

const p = (detail: string): ResponsibilityCell => ({ party: "provider", detail });
const c = (detail: string): ResponsibilityCell => ({ party: "customer", detail });
const s = (detail: string): ResponsibilityCell => ({ party: "shared", detail });

export const RESPONSIBILITY_MATRIX: readonly ResponsibilityRow[] = [
  {
    area: "Infrastructure and clouds",
    saas: p("Provider's shared deployment on the provider's cloud"),
    dedicated: p(
      "Isolated instance per customer on AWS or GCP in the customer's chosen region (Azure coming soon)",
    ),
    customer_managed: c("Customer's own cloud (AWS, GCP, Azure) or servers"),
  },
  {
    area: "Database (MySQL)",
    saas: p("Shared, operated by the provider"),
    dedicated: p("Dedicated MySQL 5.7 or 8, encrypted, backed up by the provider"),
    customer_managed: c("Customer runs MySQL 5.7/8 with its own backups"),
  },
  {
    area: "Object storage",
    saas: p("Provider's bucket"),
    dedicated: s(
      "Provider-hosted bucket, or the customer's own bucket (BYOB) that the customer keeps configured",
    ),
    customer_managed: c("Customer's bucket"),
  },
  {
    area: "Single sign-on",
    saas: s("Provider's identity service; customer may connect its IdP"),
    dedicated: s(
      "Provider-managed (Auth0, SAML) or the customer's OIDC provider, configured by the customer",
    ),
    customer_managed: c("Customer configures OIDC or SAML"),
  },
  {
    area: "Application",
    saas: p("Provider runs and scales it"),
    dedicated: p("Provider runs and scales it"),
    customer_managed: c("Customer installs and runs it with the provider's templates"),
  },
  {
    area: "Application security",
    saas: p("Provider patches, monitors and audits"),
    dedicated: s("Provider patches and monitors; customer manages users, SSO and IP allowlists"),
    customer_managed: c("Customer patches and hardens; provider ships security releases"),
  },
  {
    area: "Maintenance and upgrades",
    saas: p("Continuous, by the provider"),
    dedicated: s("Provider upgrades in the customer's biweekly maintenance window; customer may defer"),
    customer_managed: c("Customer upgrades on its own schedule"),
  },
  {
    area: "Monitoring and alerts",
    saas: p("Provider"),
    dedicated: p("Provider SREs watch health and thresholds; customer sees health and uptime"),
    customer_managed: s("Customer monitors; sends anonymous aggregated telemetry to the provider"),
  },
  {
    area: "Support",
    saas: p("Provider support"),
    dedicated: p("Provider support with a dedicated channel per customer"),
    customer_managed: s("Provider support for the application; customer for its infrastructure"),
  },
];
