import type { Actor } from "@cp/core";
import type { Logger } from "@cp/config/logger";

/** Where a request came from; recorded on every audit event. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

/** Someone acting, and from where. */
export interface ActingContext extends RequestMeta {
  actor: Actor;
}

/** What every use case that acts on behalf of someone receives. */
export interface ServiceContext extends ActingContext {
  log: Logger;
}
