// Names of an instance's resources, derived from its slug (lower-case letters, digits, inner hyphens; 3-40 chars,
// as the control plane's ZSlug). Slugs never contain "_", so mapping "-" to "_" cannot make two slugs collide.

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$/;

export function isValidSlug(slug: string): boolean {
  return SLUG_PATTERN.test(slug);
}

export interface ResourceNames {
  database: string;
  user: string;
  bucket: string;
}

export function resourceNames(slug: string): ResourceNames {
  if (!isValidSlug(slug)) throw new Error(`invalid slug "${slug}"`);
  const underscored = `t_${slug.replace(/-/g, "_")}`;
  return { database: underscored, user: underscored, bucket: `t-${slug}` };
}
