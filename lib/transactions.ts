/**
 * Transaction policies: names, aliases and validation. The mechanism (forked savepoints) lives in
 * runner/savepoint.py; README explains the semantics.
 *
 * @module
 */
import type { TransactionPolicy } from "./results.ts";

/** Every accepted policy name, aliases included. */
export const TRANSACTION_POLICIES: readonly TransactionPolicy[] = [
  "commit_always",
  "rollback_on_failure",
  "commit_on_success",
  "rollback_always",
  "explicit",
];

/** True when `value` names a transaction policy. */
export function isTransactionPolicy(value: unknown): value is TransactionPolicy {
  return typeof value === "string" && (TRANSACTION_POLICIES as readonly string[]).includes(value);
}

/** The canonical name of a policy (`commit_on_success` is `rollback_on_failure`); default `commit_always`. */
export function normalizePolicy(
  policy: TransactionPolicy | undefined,
): Exclude<TransactionPolicy, "commit_on_success"> {
  if (policy === undefined) return "commit_always";
  return policy === "commit_on_success" ? "rollback_on_failure" : policy;
}
