/**
 * The `# pyrepl3:` directives a notebook cell may hold, as whole-line comments:
 *
 * - `# pyrepl3: inputs=["Alice", "42"]`: the replies to the cell's `input()` prompts, in order
 *   (a JSON list of strings; `null` stands for end of input, an `EOFError`);
 * - `# pyrepl3: rollback`: the cell's changes to the session are undone after it ran
 *   (a `rollback_always` transaction), so later cells see the session as it was before it.
 *
 * The vocabulary is the one of `>>>` examples in documents; a cell runs with them as it is (they
 * are comments to Python).
 *
 * @module
 */

import type { InputEntry } from "../scenario/types.ts";

/** What the directives of one cell ask for. */
export interface CellDirectives {
  /** The replies to the cell's input prompts (absent when no `inputs=` was given). */
  inputs?: InputEntry[];
  /** True with `rollback`: the cell runs in a transaction that is always rolled back. */
  rollback?: boolean;
}

/** A directive that could not be read: `line` is 0-based within the cell's source. */
export interface DirectiveProblem {
  /** 0-based line of the directive in the cell. */
  line: number;
  /** What is wrong and what is expected. */
  message: string;
}

const DIRECTIVE = /^\s*#\s*pyrepl3:(.*)$/;

/**
 * Reads the `# pyrepl3:` lines of `source`; problems are returned, not thrown, so that every
 * one of a notebook is reported at once.
 *
 * @example
 * ```ts
 * import { parseDirectives } from "./directives.ts";
 * const { directives } = parseDirectives('# pyrepl3: inputs=["Alice"] rollback\nname = input()');
 * if (directives.inputs?.[0] !== "Alice" || !directives.rollback) throw new Error("directives");
 * ```
 */
export function parseDirectives(
  source: string,
): { directives: CellDirectives; problems: DirectiveProblem[] } {
  const directives: CellDirectives = {};
  const problems: DirectiveProblem[] = [];
  source.split("\n").forEach((text, line) => {
    const match = DIRECTIVE.exec(text);
    if (!match) return;
    let rest = match[1].trim();
    while (rest !== "") {
      if (rest.startsWith("rollback") && /^rollback(\s|$)/.test(rest)) {
        directives.rollback = true;
        rest = rest.slice("rollback".length).trim();
        continue;
      }
      const inputs = /^inputs\s*=\s*/.exec(rest);
      if (inputs) {
        const list = leadingJsonList(rest.slice(inputs[0].length));
        if (list === undefined) {
          problems.push({
            line,
            message: `'inputs=' takes a JSON list of strings, e.g. inputs=["Alice", "42"]`,
          });
          return;
        }
        directives.inputs = [...(directives.inputs ?? []), ...list.entries];
        rest = list.rest.trim();
        continue;
      }
      problems.push({
        line,
        message: `unknown pyrepl3 directive ${JSON.stringify(rest.split(/\s/)[0])}: ` +
          `expected inputs=[...] or rollback`,
      });
      return;
    }
  });
  return { directives, problems };
}

/** A JSON list of strings (or null for EOF) at the start of `text`, and what follows it. */
function leadingJsonList(text: string): { entries: InputEntry[]; rest: string } | undefined {
  if (!text.startsWith("[")) return undefined;
  // The list ends at the first `]` outside a string after which the text parses.
  for (let end = text.indexOf("]"); end !== -1; end = text.indexOf("]", end + 1)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.slice(0, end + 1));
    } catch {
      continue;
    }
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === "string" || v === null)) {
      return undefined;
    }
    const entries = parsed.map((v): InputEntry => v === null ? { eof: true } : v);
    return { entries, rest: text.slice(end + 1) };
  }
  return undefined;
}
