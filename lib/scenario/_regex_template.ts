/**
 * Replacement strings of `normalize: {regex, replace}`, as Python's `re.sub` reads them:
 * `\1`..`\99` and `\g<n>`/`\g<name>` refer to groups (a group that did not take part gives ""),
 * `\0` and three-digit `\NNN` are octal, `\n \t \r \f \v \a \b \\` are escapes, another escaped
 * letter is an error and another escaped character keeps its backslash.
 *
 * @module
 */

import { InvalidRegexError } from "./errors.ts";

/** Literal text, or the number of the group whose text goes there. */
export type TemplatePart = string | number;

const ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};

/**
 * Parses `template` for a pattern with `groups` groups and the named groups `names`.
 *
 * @throws {InvalidRegexError} on what Python's `re.sub` refuses (bad escape, unknown group).
 */
export function parseTemplate(
  template: string,
  groups: number,
  names: ReadonlyMap<string, number>,
  source: string,
): TemplatePart[] {
  const fail = (reason: string): never => {
    throw new InvalidRegexError(
      source,
      `in the replacement ${JSON.stringify(template)}: ${reason}`,
    );
  };
  const parts: TemplatePart[] = [];
  let literal = "";
  const group = (n: number) => {
    if (n > groups) fail(`invalid group reference ${n}`);
    if (literal) parts.push(literal);
    literal = "";
    parts.push(n);
  };
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== "\\") {
      literal += c;
      continue;
    }
    const e = template[++i];
    if (e === undefined) fail("bad escape (end of pattern)");
    if (e === "g") {
      const m = /^<([^>]*)>/.exec(template.slice(i + 1));
      if (!m) fail(template[i + 1] === "<" ? "missing >, unterminated name" : "missing <");
      const name = m![1];
      if (/^[\p{L}_][\p{L}\p{N}_]*$/u.test(name)) {
        const n = names.get(name);
        if (n === undefined) fail(`unknown group name '${name}'`);
        group(n!);
      } else if (/^\d+$/.test(name)) group(Number(name));
      else fail(`bad character in group name '${name}'`);
      i += m![0].length;
    } else if (e === "0") {
      const digits = /^[0-7]{0,2}/.exec(template.slice(i + 1))![0];
      literal += String.fromCharCode(parseInt(`0${digits}`, 8));
      i += digits.length;
    } else if (/[1-9]/.test(e)) {
      const octal = /^[0-7]{3}/.exec(template.slice(i));
      if (octal) {
        const code = parseInt(octal[0], 8);
        if (code > 0o377) fail(`octal escape value \\${octal[0]} outside of range 0-0o377`);
        literal += String.fromCharCode(code);
        i += 2;
      } else {
        const digits = /^\d\d?/.exec(template.slice(i))![0];
        group(Number(digits));
        i += digits.length - 1;
      }
    } else if (ESCAPES[e] !== undefined) literal += ESCAPES[e];
    else if (/[A-Za-z]/.test(e)) fail(`bad escape \\${e}`);
    else literal += `\\${e}`;
  }
  if (literal) parts.push(literal);
  return parts;
}

/** The replacement text of one match; `group(n)` is group n's text (undefined when unmatched). */
export function substituteTemplate(
  parts: readonly TemplatePart[],
  group: (n: number) => string | undefined,
): string {
  let out = "";
  for (const part of parts) out += typeof part === "string" ? part : group(part) ?? "";
  return out;
}
