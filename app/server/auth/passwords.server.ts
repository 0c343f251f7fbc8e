// Password rules (ASVS 2.1: 12 to 128 characters, any characters, common passwords refused) and
// hashing with argon2id at or above OWASP's minimum parameters.
import { hash, verify } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

const COMMON = new Set<string>(dictionary["passwords-common"] as string[]);

export type PasswordProblem =
  "too_short" | "too_long" | "common" | "contains_email" | "contains_name" | "contains_product";

/** The product's own names (ASVS 6.2.11): the first words an attacker tries against this site. */
const PRODUCT_WORDS = ["mamoru", "守る", "マモル"];

/** The parts of a person's name long enough to matter: split on spaces and punctuation, 3+ characters. */
export function nameParts(displayName: string): string[] {
  return displayName
    .normalize("NFKC")
    .toLowerCase()
    .split(/[\s\p{P}\p{S}]+/u)
    .filter((part) => [...part].length >= 3);
}

/**
 * Why a password is refused, or null when it is acceptable. Length counts characters, not bytes.
 * Comparisons are case-insensitive and see full-width letters as their ASCII forms (NFKC).
 */
export function passwordProblem(
  password: string,
  person?: string | { email?: string; displayName?: string },
): PasswordProblem | null {
  const { email, displayName } =
    typeof person === "string" ? { email: person, displayName: undefined } : (person ?? {});
  const length = [...password].length;
  if (length < PASSWORD_MIN) return "too_short";
  if (length > PASSWORD_MAX) return "too_long";
  const lower = password.toLowerCase();
  // A common word padded with digits or symbols ("password123456") is as guessable as the word.
  const core = lower.replace(/^[\d\W_]+|[\d\W_]+$/g, "");
  if (COMMON.has(lower) || COMMON.has(core) || new Set(lower).size <= 3) return "common";
  const folded = password.normalize("NFKC").toLowerCase();
  if (PRODUCT_WORDS.some((word) => folded.includes(word))) return "contains_product";
  const localPart = email?.split("@")[0]?.normalize("NFKC").toLowerCase();
  if (localPart && localPart.length >= 4 && folded.includes(localPart)) return "contains_email";
  if (displayName && nameParts(displayName).some((part) => folded.includes(part))) return "contains_name";
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
