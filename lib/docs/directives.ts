/**
 * The `# pyrepl3:` directives of a document's examples: what doctest cannot say (input replies,
 * transactions, checkpoints, a timeout), written as a comment so `python -m doctest` still runs
 * the document unchanged.
 *
 * On an example with code:
 * - `inputs=["Alice", {"prompt": "Age? ", "reply": "7"}, {"eof": true}]` — replies to `input()`;
 * - `rollback` — the example runs, is checked, and its changes are undone (`rollback_always`);
 * - `transaction=POLICY` — any transaction policy (`explicit` opens one for a later `commit`/`rollback`);
 * - `timeout=5s` — the example's own timeout.
 *
 * On an example of its own (`>>> # pyrepl3: checkpoint=before`): `checkpoint=NAME`,
 * `restore=NAME`, `commit`, `rollback` (of the open explicit transaction), `restart`.
 *
 * @module
 */

import { parseDuration } from "../scenario/duration.ts";
import { isTransactionPolicy } from "../transactions.ts";
import type { TransactionPolicy } from "../results.ts";
import type { InputEntry } from "../scenario/types.ts";

/** The directives of one example. */
export interface ExampleDirectives {
  /** Replies to the example's input prompts. */
  inputs?: InputEntry[];
  /** The example's transaction policy. */
  transaction?: TransactionPolicy;
  /** The example's timeout, in milliseconds. */
  timeoutMs?: number;
  /** A control step the example stands for (it has no code of its own). */
  control?:
    | { kind: "checkpoint" | "restore"; name: string }
    | { kind: "commit" | "rollback" | "restart" };
}

const MARK = /#\s*pyrepl3:(.*)$/;

/**
 * The fields an exec step takes from an example's directives: its inputs, transaction policy and
 * timeout, each only when the directives set it.
 *
 * @example
 * ```ts
 * import { execStepFields } from "./directives.ts";
 * const fields = execStepFields({ transaction: "rollback_always" });
 * if (fields.transaction !== "rollback_always" || "inputs" in fields) throw new Error("fields");
 * ```
 */
export function execStepFields(
  directives: ExampleDirectives,
): Pick<ExampleDirectives, "inputs" | "transaction" | "timeoutMs"> {
  return {
    ...(directives.inputs ? { inputs: directives.inputs } : {}),
    ...(directives.transaction ? { transaction: directives.transaction } : {}),
    ...(directives.timeoutMs !== undefined ? { timeoutMs: directives.timeoutMs } : {}),
  };
}

/**
 * The `# pyrepl3:` directives of an example's source.
 *
 * @throws {Error} with a message naming the bad directive (the caller adds file and line).
 * @example
 * ```ts
 * import { parseExampleDirectives } from "./directives.ts";
 * const d = parseExampleDirectives('name = input()  # pyrepl3: inputs=["Alice"]\n');
 * if (JSON.stringify(d.inputs) !== '["Alice"]') throw new Error("inputs");
 * ```
 */
export function parseExampleDirectives(source: string): ExampleDirectives {
  const directives: ExampleDirectives = {};
  let control: ExampleDirectives["control"];
  const { comments, hasCode } = scanComments(source);
  for (const comment of comments) {
    const match = MARK.exec(comment);
    if (!match) continue;
    for (const [key, value] of tokens(match[1])) {
      switch (key) {
        case "inputs":
          directives.inputs = inputsOf(value);
          break;
        case "transaction":
          if (value === undefined || !isTransactionPolicy(value)) {
            throw new Error(
              `transaction=${value ?? ""}: expected commit_always, rollback_on_failure, ` +
                `commit_on_success, rollback_always or explicit`,
            );
          }
          directives.transaction = value as TransactionPolicy;
          break;
        case "timeout": {
          const ms = value === undefined ? undefined : parseDuration(value);
          if (ms === undefined) {
            throw new Error(`timeout=${value ?? ""}: expected e.g. 5s or 500ms`);
          }
          directives.timeoutMs = ms;
          break;
        }
        case "checkpoint":
        case "restore":
          if (!value) throw new Error(`${key} needs a name: ${key}=NAME`);
          control = { kind: key, name: value };
          break;
        case "rollback":
        case "commit":
        case "restart":
          if (value !== undefined) throw new Error(`${key} takes no value`);
          control = { kind: key };
          break;
        default:
          throw new Error(
            `unknown directive '${key}': expected inputs=, transaction=, timeout=, rollback, ` +
              `commit, restart, checkpoint=NAME or restore=NAME`,
          );
      }
    }
  }
  if (control === undefined) return directives;
  if (hasCode) {
    if (control.kind === "rollback") return { ...directives, transaction: "rollback_always" };
    throw new Error(
      `${control.kind} stands alone: write it as an example of its own (>>> # pyrepl3: ${control.kind})`,
    );
  }
  return { ...directives, control };
}

/**
 * The comments of Python `source` (each from its `#` to the end of its line) and whether it has
 * code besides them. A `#` in a string literal (`print("# pyrepl3: ...")`, a triple-quoted string
 * over several lines) starts no comment.
 */
function scanComments(source: string): { comments: string[]; hasCode: boolean } {
  const comments: string[] = [];
  let hasCode = false;
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote !== undefined) {
      if (c === "\\") i++;
      else if (source.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = undefined;
      } else if (c === "\n" && quote.length === 1) quote = undefined; // unterminated: ends here
    } else if (c === "#") {
      const end = source.indexOf("\n", i);
      comments.push(source.slice(i, end === -1 ? source.length : end));
      i = end === -1 ? source.length : end - 1;
    } else if (c === '"' || c === "'") {
      quote = source.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += quote.length - 1;
      hasCode = true;
    } else if (!/\s/.test(c)) hasCode = true;
  }
  return { comments, hasCode };
}

/** `key=value key2 key3=[json]` into pairs; a JSON value may hold spaces. */
function tokens(text: string): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /[\s,]/.test(text[i])) i++;
    if (i >= text.length || text[i] === "#") break; // another comment follows (# doctest: ...)
    const key = /^[A-Za-z_][\w-]*/.exec(text.slice(i))?.[0];
    if (!key) throw new Error(`cannot read the directive at '${text.slice(i).trim()}'`);
    i += key.length;
    if (text[i] !== "=") {
      out.push([key, undefined]);
      continue;
    }
    i++;
    const rest = text.slice(i);
    // inputs= that is no JSON is shown whole in its error (up to another comment).
    const end = /^[[{"]/.test(rest)
      ? jsonEnd(text, i)
      : i + rest.search(key === "inputs" ? /\s*(#|$)/ : /\s|$/);
    out.push([key, text.slice(i, end)]);
    i = end;
  }
  return out;
}

/** The end of the JSON value starting at `start` (brackets balanced outside strings). */
function jsonEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (c === '"') inString = true;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

function inputsOf(value: string | undefined): InputEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value ?? "");
  } catch {
    throw new Error(`inputs=${value ?? ""}: expected a JSON list, e.g. inputs=["Alice", "42"]`);
  }
  if (!Array.isArray(parsed) || !parsed.every(isInputEntry)) {
    throw new Error(
      `inputs=${value}: each reply is a string, {"prompt": ..., "reply": ...}, ` +
        `{"prompt": ..., "reply_env": ...} or {"eof": true}`,
    );
  }
  return parsed;
}

function isInputEntry(entry: unknown): entry is InputEntry {
  if (typeof entry === "string") return true;
  if (typeof entry !== "object" || entry === null) return false;
  const e = entry as Record<string, unknown>;
  if (e.eof === true) return Object.keys(e).length === 1;
  return typeof e.prompt === "string" &&
    (typeof e.reply === "string" || typeof e.reply_env === "string");
}
