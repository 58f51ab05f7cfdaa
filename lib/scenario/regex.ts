/**
 * Regular expressions of scenario files (`matches:`, `normalize: {regex}`): Python's `re` syntax
 * and meaning, matched in linear time by RE2 (the re2js port), so that no pattern can hang a run
 * (`^(a+)+$` on forty `a`s and a `!` backtracks 2^40 times in Python's `re`; RE2 takes microseconds).
 *
 * The pattern is translated token by token so that it means what it means to Python's `re` (a
 * `str` pattern, no flags but the inline ones): `\d`, `\w` and `\s` are Unicode classes (ASCII
 * under `(?a)`), `$` also matches before a final newline, `\Z` is the end of the text, `{,n}` is
 * `{0,n}`, inline flags `(?aimsux)` and `(?i-s:...)` work, `(?x)` strips white space and `#`
 * comments, `(?#...)` is a comment. What RE2 cannot do in linear time is refused with a clear
 * message: lookahead, backreferences (`\1`, `(?P=name)`), conditionals, atomic groups and
 * possessive quantifiers. Lookbehind works (and, unlike Python, need not be fixed-width).
 * Known differences: `\b` and `\B` see ASCII word characters only (Python's see Unicode ones), and
 * after a `$` that matched before the final newline, the rest of the pattern matches at the end.
 *
 * @module
 */

import { RE2JS } from "npm:re2js@2.10.0";
import { InvalidRegexError } from "./errors.ts";
import { translate, type Translation } from "./_regex_translate.ts";
import { parseTemplate, substituteTemplate, type TemplatePart } from "./_regex_template.ts";

/** A compiled scenario regex. */
export interface ScenarioRegex {
  /** The pattern as written in the file. */
  readonly source: string;
  /** True when the pattern matches somewhere in `text` (like Python's `re.search`). */
  test(text: string): boolean;
  /**
   * Replaces every match, like Python's `re.sub(source, replacement, text)`: `\1`, `\g<1>`,
   * `\g<name>` and `\g<0>` refer to groups, `\n`, `\t`... are escapes.
   *
   * @throws {InvalidRegexError} when the replacement is invalid (a bad escape, an unknown group).
   */
  replaceAll(text: string, replacement: string): string;
  /** Throws `InvalidRegexError` when `replacement` is not a valid replacement for this pattern. */
  checkReplacement(replacement: string): void;
}

const cache = new Map<string, ScenarioRegex>();
const CACHE_LIMIT = 1000;

/**
 * Compiles a scenario regex written in Python's `re` syntax (cached by source).
 *
 * @throws {InvalidRegexError} when the pattern is not a valid Python regular expression, or
 * uses what RE2 cannot match in linear time (lookahead, backreferences).
 * @example
 * ```ts
 * import { compileRegex } from "./regex.ts";
 * const evil = compileRegex("^(a+)+$");
 * if (evil.test("a".repeat(40) + "!")) throw new Error("no match expected");
 * if (!compileRegex("^took (?P<n>\\d+)ms$").test("took 12ms\n")) throw new Error();
 * if (compileRegex("(\\d+)ms").replaceAll("took 12ms", "\\1 ms") !== "took 12 ms") throw new Error();
 * ```
 */
export function compileRegex(source: string): ScenarioRegex {
  const cached = cache.get(source);
  if (cached) return cached;
  const t = translate(source);
  let re: RE2JS;
  try {
    re = RE2JS.compile(t.pattern, t.lookbehind ? RE2JS.LOOKBEHINDS : 0);
  } catch (error) {
    throw new InvalidRegexError(source, (error as Error).message);
  }
  const templates = new Map<string, TemplatePart[]>();
  const template = (replacement: string) => {
    let parts = templates.get(replacement);
    if (parts === undefined) {
      parts = parseTemplate(replacement, t.groups.length, t.names, source);
      if (templates.size < CACHE_LIMIT) templates.set(replacement, parts);
    }
    return parts;
  };
  const compiled: ScenarioRegex = {
    source,
    test: (text) => re.test(text),
    replaceAll: (text, replacement) => replaceAll(re, t, text, template(replacement)),
    checkReplacement: (replacement) => void template(replacement),
  };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

/** `re.sub` over RE2 matches (empty matches next to a previous match count, as since Python 3.7). */
function replaceAll(
  re: RE2JS,
  t: Translation,
  text: string,
  template: readonly TemplatePart[],
): string {
  let out = "";
  let last = 0;
  for (const match of re.matchAll(text)) {
    const start = match.index ?? 0;
    let end = start + match[0].length;
    // A `$` that matched before the final newline is zero-width in Python: give the newline back.
    if (end === text.length && t.eol.some((g) => match[g] !== undefined)) end--;
    const group = (n: number) => n === 0 ? text.slice(start, end) : match[t.groups[n - 1]];
    out += text.slice(last, start) + substituteTemplate(template, group);
    last = end;
  }
  return out + text.slice(last);
}
