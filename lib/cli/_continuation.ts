/**
 * When the record prompt should show `... ` and keep reading: the Python REPL's rule,
 * approximated without asking Python (asking the worker would count as an execution).
 *
 * @module
 */

/**
 * True when `source` (the lines typed so far, without the final newline) is not complete yet:
 * a bracket or a triple-quoted string is still open, the last line ends with `\`, or the entry
 * opened a block (a line ending with `:`) and the last line typed is not blank.
 *
 * @example
 * ```ts
 * import { needsContinuation } from "./_continuation.ts";
 * if (!needsContinuation("def f():")) throw new Error("a block goes on");
 * if (needsContinuation("def f():\n    return 1\n")) throw new Error("a blank line ends it");
 * if (needsContinuation("x = (1,\n2)")) throw new Error("a closed bracket ends it");
 * ```
 */
export function needsContinuation(source: string): boolean {
  const scan = scanPython(source);
  if (scan.openBrackets > 0 || scan.inTripleQuote) return true;
  const lines = source.split("\n");
  const last = lines[lines.length - 1];
  if (last.endsWith("\\")) return true;
  if (last.trim() === "") return false;
  return scan.opensBlock;
}

interface Scan {
  openBrackets: number;
  inTripleQuote: boolean;
  /** Some logical line ends with `:` (outside strings, brackets and comments). */
  opensBlock: boolean;
}

/** A small tokenizer pass: strings, comments and brackets; enough to decide continuation. */
function scanPython(source: string): Scan {
  let depth = 0;
  let quote = ""; // the open string's delimiter: ', ", ''' or """
  let opensBlock = false;
  let lastSignificant = "";
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote !== "") {
      if (c === "\\") i++;
      else if (source.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = "";
        lastSignificant = c;
      } else if (c === "\n" && quote.length === 1) quote = ""; // unterminated: a SyntaxError
      continue;
    }
    if (c === "#") {
      while (i + 1 < source.length && source[i + 1] !== "\n") i++;
    } else if (c === "'" || c === '"') {
      quote = source.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += quote.length - 1;
    } else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth = Math.max(0, depth - 1);
    else if (c === "\n") {
      if (depth === 0 && lastSignificant === ":") opensBlock = true;
    }
    if (c !== " " && c !== "\t" && c !== "\n" && c !== "#" && quote === "") lastSignificant = c;
  }
  if (depth === 0 && lastSignificant === ":") opensBlock = true;
  return { openBrackets: depth, inTripleQuote: quote.length === 3, opensBlock };
}
