// URLs that users type (OIDC issuers, webhooks, bucket endpoints) must not make the control plane reach into its own
// network: loopback, private ranges, link-local (the cloud metadata service at 169.254.169.254), and so on. An
// operator may allow specific hosts, IPs or CIDRs (CP_ALLOWED_PRIVATE_HOSTS), e.g. the local cloud.
//
// A check followed by a separate connection can be raced by DNS rebinding; callers that connect themselves should
// connect to the returned `addresses` (see guarded-fetch.ts), not resolve the name again.
import { lookup as dnsLookup } from "node:dns/promises";
import { env } from "@cp/config";
import { AppError } from "@cp/core";
import ipaddr from "ipaddr.js";

export type LookupFn = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface GuardOptions {
  /** Hostnames, IPs or CIDRs that may be private and may use http. Default: env().CP_ALLOWED_PRIVATE_HOSTS. */
  allow?: readonly string[];
  /** What the URL is, for messages, e.g. "OIDC issuer" or "Bucket endpoint". */
  field?: string;
  /** Name resolution; default node:dns lookup with all addresses. Injected in tests. */
  lookup?: LookupFn;
}

export interface PublicUrl {
  url: URL;
  /** The addresses the host resolved to (or the literal IP), all checked; connect to these. */
  addresses: string[];
  /** True when the host or all of its addresses are allowlisted (then private ranges and http are accepted). */
  allowlisted: boolean;
}

export type UrlRefusalReason =
  | "invalid-url"
  | "unsupported-scheme"
  | "https-required"
  | "credentials-in-url"
  | "unresolvable"
  | "private-address";

const ALLOW_HINT = "ask an operator to allow this host (CP_ALLOWED_PRIVATE_HOSTS)";

/** A URL the control plane refuses to contact. The message names the field and the fix; it never echoes passwords. */
export class UnsafeUrlError extends AppError {
  override name = "UnsafeUrlError";
  constructor(
    readonly reason: UrlRefusalReason,
    message: string,
    field?: string,
    /** The refused address, for private-address refusals. */
    readonly address?: string,
  ) {
    super("BAD_REQUEST", message, field);
  }
}

/** Resolves the URL's host and throws UnsafeUrlError unless every address is public or allowlisted. */
export async function assertPublicUrl(input: string | URL, opts: GuardOptions = {}): Promise<PublicUrl> {
  const field = opts.field ?? "URL";
  const url = parseHttpUrl(input, field);
  const host = bareHost(url.hostname);
  const allow = compileAllowList(opts.allow ?? defaultAllowList());
  const addresses = await resolve(host, field, opts.lookup ?? defaultLookup);
  const allowlisted = allow.hosts.has(host) || addresses.every((a) => allow.matchesIp(a));
  if (!allowlisted) {
    for (const address of addresses) {
      const problem = classifyAddress(address);
      if (problem && !allow.matchesIp(address)) {
        const subject = isIpLiteral(host) ? `${address} is` : `"${host}" resolves to ${address},`;
        throw new UnsafeUrlError(
          "private-address",
          `${field}: ${subject} ${problem}. Use a public address, or ${ALLOW_HINT}.`,
          field,
          address,
        );
      }
    }
    if (url.protocol !== "https:") {
      throw new UnsafeUrlError(
        "https-required",
        `${field}: use https:// (got ${url.protocol.slice(0, -1)}://${url.host}). Plain http is accepted only for ` +
          `hosts an operator allows (CP_ALLOWED_PRIVATE_HOSTS).`,
        field,
      );
    }
  }
  return { url, addresses, allowlisted };
}

/** The operator's allowlist from configuration (comma-separated). */
export function defaultAllowList(): string[] {
  return splitList(env().CP_ALLOWED_PRIVATE_HOSTS);
}

export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseHttpUrl(input: string | URL, field: string): URL {
  let url: URL;
  try {
    url = typeof input === "string" ? new URL(input.trim()) : input;
  } catch {
    throw new UnsafeUrlError("invalid-url", `${field}: enter a full URL such as https://example.com.`, field);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UnsafeUrlError(
      "unsupported-scheme",
      `${field}: only https:// URLs are supported (got ${url.protocol.slice(0, -1)}:).`,
      field,
    );
  }
  if (url.username || url.password) {
    throw new UnsafeUrlError(
      "credentials-in-url",
      `${field}: remove the user name and password from the URL; credentials go in their own fields.`,
      field,
    );
  }
  if (!url.hostname) throw new UnsafeUrlError("invalid-url", `${field}: the URL has no host.`, field);
  return url;
}

/** Lower-case host without IPv6 brackets or a trailing dot. */
function bareHost(hostname: string): string {
  return hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
}

const defaultLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true });

/** Strict literal forms only (the URL parser has already turned "127.1" or "0x7f000001" into dotted quads). */
function isIpLiteral(value: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(value) || ipaddr.IPv6.isValid(value);
}

async function resolve(host: string, field: string, lookup: LookupFn): Promise<string[]> {
  if (isIpLiteral(host)) return [normalizeIp(host)];
  let found: { address: string }[];
  try {
    found = await lookup(host);
  } catch (err) {
    const code = (err as { code?: string }).code ?? "lookup failed";
    throw new UnsafeUrlError(
      "unresolvable",
      `${field}: the host "${host}" could not be resolved (${code}). Check the spelling, and that the name is ` +
        `public DNS.`,
      field,
    );
  }
  if (!found.length) {
    throw new UnsafeUrlError("unresolvable", `${field}: the host "${host}" has no addresses.`, field);
  }
  return found.map((f) => normalizeIp(f.address));
}

/** Canonical text; IPv4-mapped addresses keep their dotted form so messages stay readable (::ffff:127.0.0.1). */
function normalizeIp(address: string): string {
  const ip = ipaddr.parse(address);
  if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
    return `::ffff:${(ip as ipaddr.IPv6).toIPv4Address().toString()}`;
  }
  return ip.toString();
}

const RANGE_TEXT: Record<string, string> = {
  loopback: "a loopback address",
  private: "a private network address",
  linkLocal: "a link-local address",
  carrierGradeNat: "a carrier-grade NAT (shared) address",
  unspecified: "an unspecified address",
  broadcast: "a broadcast address",
  multicast: "a multicast address",
  reserved: "a reserved address",
  uniqueLocal: "a unique-local IPv6 address",
  deprecatedSiteLocal: "a site-local IPv6 address",
  teredo: "a Teredo tunnel address",
};

const METADATA_IPS = new Set(["169.254.169.254", "fd00:ec2::254"]);

/** Why an address is not public, or null when it is ordinary public unicast. */
export function classifyAddress(address: string): string | null {
  const ip = ipaddr.parse(address);
  if (ip.kind() === "ipv6") {
    const v6 = ip as ipaddr.IPv6;
    const embedded = embeddedIpv4(v6);
    if (embedded) {
      const inner = classifyAddress(embedded.toString());
      const form = v6.isIPv4MappedAddress() ? "an IPv4-mapped form" : "an IPv6 translation";
      return inner ? `${form} of ${embedded.toString()} (${inner})` : null;
    }
  }
  if (METADATA_IPS.has(ip.toString())) return "the cloud metadata service address (link-local)";
  const range = ip.range();
  if (range === "unicast") return null;
  return RANGE_TEXT[range] ?? `a special-purpose address (${range})`;
}

/** The IPv4 address inside IPv4-mapped, IPv4-translated, NAT64 and 6to4 IPv6 addresses. */
function embeddedIpv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = ip.range();
  const bytes = ip.toByteArray();
  const v4 = (offset: number) => new ipaddr.IPv4(bytes.slice(offset, offset + 4));
  if (range === "ipv4Mapped" || range === "rfc6145" || range === "rfc6052") return v4(12);
  if (range === "6to4") return v4(2);
  return null;
}

interface AllowList {
  hosts: Set<string>;
  matchesIp(address: string): boolean;
}

/** Entries: hostnames (exact), IPs, or CIDRs; IPv4-mapped IPv6 addresses match IPv4 entries. */
export function compileAllowList(entries: readonly string[]): AllowList {
  const hosts = new Set<string>();
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const raw of entries) {
    const entry = bareHost(raw.trim());
    if (!entry) continue;
    if (entry.includes("/")) {
      try {
        ranges.push(ipaddr.parseCIDR(entry));
      } catch {
        // Not a CIDR: cannot match anything; config validation is the place to reject it.
      }
    } else if (isIpLiteral(entry)) {
      const ip = ipaddr.process(entry);
      ranges.push([ip, ip.kind() === "ipv4" ? 32 : 128]);
    } else {
      hosts.add(entry);
    }
  }
  return {
    hosts,
    matchesIp(address) {
      const forms = [ipaddr.parse(address), ipaddr.process(address)];
      return ranges.some(([net, bits]) =>
        forms.some((ip) => ip.kind() === net.kind() && ip.match(net, bits)),
      );
    },
  };
}
