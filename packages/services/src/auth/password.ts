import { hash, verify } from "@node-rs/argon2";

// argon2id with the library's defaults (m=19 MiB, t=2, p=1: the OWASP baseline).
export async function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** Spends the same time as a real check, so a response never tells whether an account exists. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hash("not-a-real-password-just-for-timing");
  await verifyPassword(await dummy, password);
}
