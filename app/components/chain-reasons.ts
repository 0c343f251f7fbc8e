// What each finding of a chain check means, as a message key: shared by the admin's and the agency's pages.
// A type only: nothing of the server module reaches the browser.
import type { MismatchReason as ChainReason } from "~/server/chain/verify.server";

export const CHAIN_REASONS: Record<ChainReason, string> = {
  "content changed": "records.reason.content",
  "chain broken": "records.reason.chain",
  "mac missing": "records.reason.macMissing",
  "mac mismatch": "records.reason.macMismatch",
  "unknown key": "records.reason.unknownKey",
  "unknown algorithm": "records.reason.unknownAlgorithm",
  "records missing": "records.reason.missing",
  "checkpoint mismatch": "records.reason.checkpoint",
  "checkpoint forged": "records.reason.forged",
};

export const chainReasonKey = (reason: string): string =>
  CHAIN_REASONS[reason as ChainReason] ?? "records.reason.chain";
