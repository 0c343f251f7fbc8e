// Password rules (ASVS 2.1: 12 to 128 characters, any characters, common and breached passwords
// refused) and hashing with argon2id at or above OWASP's minimum parameters.
import { hash, verify } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

/**
 * Breached passwords, offline (ASVS 6.2.4, 6.2.12): @zxcvbn-ts/language-common's list, the 49,233
 * passwords that occur more than ten times in Mark Burnett's "10 million passwords" (2015, a
 * compilation of leaked credential dumps), lower-cased. Its builder left out the leaked passwords
 * that zxcvbn recognises as patterns (keyboard runs, sequences, repeats): those are checked as
 * patterns below (breachedVariant). No network at run time, so no online (k-anonymity) service.
 */
const COMMON = new Set<string>(dictionary["passwords-common"] as string[]);

export type PasswordProblem =
  "too_short" | "too_long" | "common" | "breached" | "contains_email" | "contains_name" | "contains_product";

/** Look-alike characters (as zxcvbn's l33t table), two readings where one character stands for two letters. */
const LOOK_ALIKES: Record<string, string>[] = [
  { "4": "a", "@": "a", "8": "b", "(": "c", "3": "e", "6": "g", "9": "g", "1": "i", "!": "i", "|": "i" },
  { "0": "o", $: "s", "5": "s", "+": "t", "7": "t", "%": "x", "2": "z" },
  { "1": "l", "|": "l", "7": "l" },
];

/** Runs along a keyboard, the alphabet or the digits: leaked passwords of their own (and backwards). */
const RUNS = ["qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm", "abcdefghijklmnopqrstuvwxyz", "01234567890"];

/** Strips digits and symbols from both ends: "password123!" is as guessable as "password". */
const coreOf = (lower: string) => lower.replace(/^[\d\W_]+|[\d\W_]+$/g, "");

/**
 * Whether the password is a leaked one in disguise: look-alike characters ("p@ssw0rd"), reversed,
 * one leaked password or a short piece repeated ("monkeymonkey"), or a run along the keyboard or
 * the alphabet ("qwertyuiopas", "abcdefghijkl"), each also with digits or symbols around it.
 */
function breachedVariant(lower: string): boolean {
  const core = coreOf(lower);
  const folds = [lower, core].flatMap((value) => {
    let readingA = value;
    let readingB = value;
    for (const [table, alternative] of [
      [LOOK_ALIKES[0]!, LOOK_ALIKES[2]!],
      [LOOK_ALIKES[1]!, LOOK_ALIKES[1]!],
    ] as const) {
      readingA = [...readingA].map((c) => table[c] ?? c).join("");
      readingB = [...readingB].map((c) => alternative[c] ?? table[c] ?? c).join("");
    }
    return [readingA, readingB, coreOf(readingA), coreOf(readingB)];
  });
  const candidates = [...new Set([lower, core, ...folds])].filter((c) => c.length >= 4);
  const reversed = (value: string) => [...value].reverse().join("");
  return candidates.some((c) => {
    if (COMMON.has(c) || COMMON.has(reversed(c)) || COMMON.has(coreOf(reversed(c)))) return true;
    const repeated = /^(.+?)\1+$/.exec(c);
    if (repeated && (repeated[1]!.length <= 4 || COMMON.has(repeated[1]!))) return true;
    return RUNS.some((run) => run.includes(c) || reversed(run).includes(c));
  });
}

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
  const core = coreOf(lower);
  if (COMMON.has(lower) || COMMON.has(core) || new Set(lower).size <= 3) return "common";
  if (breachedVariant(lower)) return "breached";
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
