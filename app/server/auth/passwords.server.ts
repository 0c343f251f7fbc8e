// Password rules (ASVS 2.1: 12 to 128 characters, any characters, common passwords refused) and
// hashing with argon2id at or above OWASP's minimum parameters.
import { hash, verify } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

const COMMON = new Set<string>(dictionary["passwords-common"] as string[]);

export type PasswordProblem = "too_short" | "too_long" | "common" | "contains_email";

/** Why a password is refused, or null when it is acceptable. Length counts characters, not bytes. */
export function passwordProblem(password: string, email?: string): PasswordProblem | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return "too_short";
  if (length > PASSWORD_MAX) return "too_long";
  const lower = password.toLowerCase();
  // A common word padded with digits or symbols ("password123456") is as guessable as the word.
  const core = lower.replace(/^[\d\W_]+|[\d\W_]+$/g, "");
  if (COMMON.has(lower) || COMMON.has(core) || new Set(lower).size <= 3) return "common";
  const localPart = email?.split("@")[0]?.toLowerCase();
  if (localPart && localPart.length >= 4 && lower.includes(localPart)) return "contains_email";
  return null;
}

// @node-rs/argon2's Algorithm is a const enum, which isolated modules cannot read: 2 is Argon2id.
const ARGON2ID = 2;

export interface HashParams {
  memoryCost: number;
  timeCost: number;
}

export function hashPassword(password: string, params: HashParams): Promise<string> {
  return hash(password, {
    algorithm: ARGON2ID,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: 1,
  });
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}
