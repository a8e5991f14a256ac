import "server-only";
import { TRPCError } from "@trpc/server";
import { notFound, redirect } from "next/navigation";
import { serverCaller } from "~/trpc/server";

/** Runs a server-side call; no session sends the visitor to sign in, a hidden or missing object is a 404. */
export async function orRedirect<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof TRPCError) {
      if (err.code === "UNAUTHORIZED") redirect("/signin");
      if (err.code === "NOT_FOUND") notFound();
    }
    throw err;
  }
}

export async function requireMe() {
  const caller = await serverCaller();
  return orRedirect(() => caller.me.get());
}
