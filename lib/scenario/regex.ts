/**
 * Regular expressions of scenario files (`matches:`, `normalize: {regex}`): JavaScript syntax and
 * meaning, matched in linear time by RE2 (the re2js port), so that no pattern can hang a run
 * (`^(a+)+$` on forty `a`s and a `!` takes V8 longer than the universe's age; RE2 microseconds).
 *
 * The pattern is translated token by token so that it means what it means in JavaScript (without
 * flags): `.` does not match `\r`, `\u2028` or `\u2029`, `\s` is JavaScript's Unicode white space,
 * an escaped letter that is no JavaScript escape stands for itself (`\A` is `A`), `[^]` matches
 * anything. What a linear-time engine cannot do is refused with a clear message: lookahead
 * (`(?=`, `(?!`) and backreferences (`\1`, `\k<name>`). Lookbehind works. One difference stays:
 * RE2 matches code points, so `.` matches a whole emoji where JavaScript matches half of one.
 *
 * @module
 */

import { RE2JS } from "npm:re2js@2.10.0";
import { InvalidRegexError } from "./errors.ts";

/** A compiled scenario regex. */
export interface ScenarioRegex {
  /** The pattern as written in the file. */
  readonly source: string;
  /** True when the pattern matches somewhere in `text` (a search, like `RegExp.test`). */
  test(text: string): boolean;
  /**
   * Replaces every match, like `text.replace(new RegExp(source, "g"), replacement)`: `$1`,
   * `$<name>`, `$&`, `` $` ``, `$'` and `$$` work as in JavaScript.
   */
  replaceAll(text: string, replacement: string): string;
}

// JavaScript's \s: WhiteSpace and LineTerminator of ECMA-262.
const WHITE_SPACE = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const MAX_CODE_POINT = 0x10ffff;
const hex = (n: number) => `\\x{${n.toString(16)}}`;
const range = ([a, b]: number[]) => a === b ? hex(a) : `${hex(a)}-${hex(b)}`;
const SPACE = WHITE_SPACE.map(range).join("");
const NOT_SPACE = WHITE_SPACE.map(([a], i) => [
  i === 0 ? 0 : WHITE_SPACE[i - 1][1] + 1,
  a - 1,
]).concat([[WHITE_SPACE[WHITE_SPACE.length - 1][1] + 1, MAX_CODE_POINT]])
  .filter(([a, b]) => a <= b).map(range).join("");
const ANY = `${hex(0)}-${hex(MAX_CODE_POINT)}`;
const DOT = `[^\\n\\r${hex(0x2028)}${hex(0x2029)}]`;

const cache = new Map<string, ScenarioRegex>();
const CACHE_LIMIT = 1000;

/**
 * Compiles a scenario regex (cached by source).
 *
 * @throws {InvalidRegexError} when the pattern is not a valid JavaScript regular expression, or
 * uses what RE2 cannot match in linear time (lookahead, backreferences).
 * @example
 * ```ts
 * import { compileRegex } from "./regex.ts";
 * const evil = compileRegex("^(a+)+$");
 * if (evil.test("a".repeat(40) + "!")) throw new Error("no match expected");
 * if (compileRegex("(\\d+)ms").replaceAll("took 12ms", "$1 ms") !== "took 12 ms") throw new Error();
 * ```
 */
export function compileRegex(source: string): ScenarioRegex {
  const cached = cache.get(source);
  if (cached) return cached;
  try {
    new RegExp(source);
  } catch (error) {
    const reason = (error as Error).message.replace(
      /^Invalid regular expression: \/.*\/[a-z]*: /s,
      "",
    );
    throw new InvalidRegexError(source, reason);
  }
  const { pattern, lookbehind } = translate(source);
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, lookbehind ? RE2JS.LOOKBEHINDS : 0);
  } catch (error) {
    throw new InvalidRegexError(source, `RE2 cannot match it: ${(error as Error).message}`);
  }
  const compiled: ScenarioRegex = {
    source,
    test: (text) => re.test(text),
    replaceAll: (text, replacement) => replaceAll(re, text, replacement),
  };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

/** The RE2 pattern that means in RE2 what `source` means in JavaScript. */
function translate(source: string): { pattern: string; lookbehind: boolean } {
  let out = "";
  let lookbehind = false;
  let inClass = false;
  const unsupported = (what: string): never => {
    throw new InvalidRegexError(
      source,
      `${what} cannot be matched in linear time, and scenario patterns are (so that none can ` +
        `hang a run); rewrite it without`,
    );
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      const [text, used] = escape(source, i + 1, inClass, unsupported);
      out += text;
      i += used;
    } else if (inClass) {
      if (c === "]") inClass = false;
      out += c === "[" ? "\\[" : c;
    } else if (c === "[") {
      // JavaScript's `[]` matches nothing and `[^]` anything; RE2 would read on to the next `]`.
      if (source.startsWith("[]", i)) {
        out += `[^${ANY}]`;
        i += 1;
      } else if (source.startsWith("[^]", i)) {
        out += `[${ANY}]`;
        i += 2;
      } else {
        inClass = true;
        out += "[";
        if (source[i + 1] === "^") out += source[++i];
      }
    } else if (c === ".") {
      out += DOT;
    } else if (c === "(" && source[i + 1] === "?") {
      const rest = source.slice(i + 2);
      if (rest.startsWith(":")) {
        out += "(?:";
        i += 2;
      } else if (rest.startsWith("<=") || rest.startsWith("<!")) {
        lookbehind = true;
        out += `(?${rest.slice(0, 2)}`;
        i += 3;
      } else if (rest.startsWith("<")) {
        out += "(?P<";
        i += 2;
      } else if (rest.startsWith("=") || rest.startsWith("!")) {
        unsupported(`lookahead (?${rest[0]}...)`);
      } else {
        unsupported(`the group syntax (?${rest[0] ?? ""}`);
      }
    } else {
      out += c;
    }
  }
  return { pattern: out, lookbehind };
}

/** Translates the escape whose letter is at `at`; returns the RE2 text and how many characters it used. */
function escape(
  source: string,
  at: number,
  inClass: boolean,
  unsupported: (what: string) => never,
): [string, number] {
  const c = source[at];
  switch (c) {
    case "d":
    case "D":
    case "w":
    case "W":
    case "t":
    case "n":
    case "v":
    case "f":
    case "r":
      return [`\\${c}`, 1];
    case "s":
      return [inClass ? SPACE : `[${SPACE}]`, 1];
    case "S":
      return [inClass ? NOT_SPACE : `[${NOT_SPACE}]`, 1];
    case "b":
      return [inClass ? hex(8) : "\\b", 1];
    case "B":
      return inClass ? ["B", 1] : ["\\B", 1];
    case "0":
      if (/[0-9]/.test(source[at + 1] ?? "")) unsupported("an octal escape like \\01");
      return [hex(0), 1];
    case "c": {
      const letter = source[at + 1] ?? "";
      if (/[A-Za-z]/.test(letter)) return [hex(letter.charCodeAt(0) % 32), 2];
      return ["\\\\c", 1];
    }
    case "x": {
      const digits = /^[0-9A-Fa-f]{2}/.exec(source.slice(at + 1));
      return digits ? [hex(parseInt(digits[0], 16)), 3] : ["x", 1];
    }
    case "u": {
      const unit = /^[0-9A-Fa-f]{4}/.exec(source.slice(at + 1));
      if (!unit) return ["u", 1];
      const high = parseInt(unit[0], 16);
      const low = /^\\u([0-9A-Fa-f]{4})/.exec(source.slice(at + 5));
      if (high >= 0xd800 && high <= 0xdbff && low) {
        const lowUnit = parseInt(low[1], 16);
        if (lowUnit >= 0xdc00 && lowUnit <= 0xdfff) {
          return [hex((high - 0xd800) * 0x400 + (lowUnit - 0xdc00) + 0x10000), 11];
        }
      }
      if (high >= 0xd800 && high <= 0xdfff) unsupported("a lone surrogate escape");
      return [hex(high), 5];
    }
    case "k":
      if (source[at + 1] === "<") unsupported("a backreference \\k<name>");
      return ["k", 1];
    default:
      if (/[1-9]/.test(c)) unsupported(`a backreference (or octal escape) \\${c}`);
      // Any other escaped character stands for itself in JavaScript; RE2 gives some letters a
      // meaning (\A, \z, \p...), so only ASCII punctuation keeps its backslash.
      return [/[!-/:-@[-`{-~]/.test(c) ? `\\${c}` : c, 1];
  }
}

/** `String.prototype.replace` with a global regex, over RE2 matches. */
function replaceAll(re: RE2JS, text: string, replacement: string): string {
  let out = "";
  let last = 0;
  const hasDollar = replacement.includes("$");
  for (const match of re.matchAll(text)) {
    const start = match.index ?? 0;
    const whole = match[0];
    out += text.slice(last, start) +
      (hasDollar ? substitute(replacement, match, text, start) : replacement);
    last = start + whole.length;
  }
  return out + text.slice(last);
}

/** GetSubstitution of ECMA-262: the `$` forms of a replacement string. */
function substitute(
  replacement: string,
  match: RegExpMatchArray,
  text: string,
  start: number,
): string {
  const groups = match.length - 1;
  return replacement.replace(/\$(\$|&|`|'|\d\d?|<([^>]*)>)/g, (token, what: string, name) => {
    if (what === "$") return "$";
    if (what === "&") return match[0];
    if (what === "`") return text.slice(0, start);
    if (what === "'") return text.slice(start + match[0].length);
    if (name !== undefined) {
      if (match.groups === undefined) return token;
      return match.groups[name] ?? "";
    }
    const two = Number(what);
    if (what.length === 2 && two >= 1 && two <= groups) return match[two] ?? "";
    const one = Number(what[0]);
    if (one >= 1 && one <= groups) return (match[one] ?? "") + what.slice(1);
    return token;
  });
}
