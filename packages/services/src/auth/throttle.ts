// Sign-in attempts are throttled per account and per IP with fixed windows in Redis. Redis may be lost at any
// time (DESIGN.md); when it does not answer we let the attempt through and log it, rather than lock everyone out.
import { createHash } from "node:crypto";
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import { AppError } from "@cp/core";
import { redis } from "@cp/jobs";

const accountKey = (email: string) =>
  `cp:signin:acct:${createHash("sha256").update(email.trim().toLowerCase()).digest("hex")}`;
/** IPv6 clients get a /64 each, so throttling counts per /64 rather than per address they can rotate. */
export function throttleAddress(ip: string): string {
  if (!ip.includes(":") || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) return ip.replace(/^::ffff:/i, "");
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::")
    ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
const ipKey = (ip: string) => `cp:signin:ip:${throttleAddress(ip)}`;

export interface ThrottleSubject {
  email: string;
  ip: string | null;
}

function keys(s: ThrottleSubject): { key: string; max: number }[] {
  const cfg = env();
  const list = [{ key: accountKey(s.email), max: cfg.CP_SIGNIN_MAX_PER_ACCOUNT }];
  if (s.ip) list.push({ key: ipKey(s.ip), max: cfg.CP_SIGNIN_MAX_PER_IP });
  return list;
}

/** Throws TOO_MANY_REQUESTS while the account or the IP has used up its failed attempts. */
export async function assertSignInAllowed(s: ThrottleSubject): Promise<void> {
  try {
    const r = redis("producer");
    for (const { key, max } of keys(s)) {
      const [count, ttl] = await Promise.all([r.get(key), r.pttl(key)]);
      if (Number(count ?? 0) >= max) {
        const minutes = Math.max(1, Math.ceil(Math.max(ttl, 0) / 60_000));
        throw new AppError(
          "TOO_MANY_REQUESTS",
          `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
        );
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    logger().error({ err }, "sign-in throttle unavailable; attempt allowed");
  }
}

export async function recordSignInFailure(s: ThrottleSubject): Promise<void> {
  const windowMs = env().CP_SIGNIN_WINDOW_SECONDS * 1000;
  try {
    const multi = redis("producer").multi();
    for (const { key } of keys(s)) multi.incr(key).pexpire(key, windowMs, "NX");
    await multi.exec();
  } catch (err) {
    logger().error({ err }, "could not record a failed sign-in");
  }
}

export async function clearAccountFailures(email: string): Promise<void> {
  try {
    await redis("producer").del(accountKey(email));
  } catch (err) {
    logger().warn({ err }, "could not clear failed sign-ins");
  }
}
