/**
 * Translating a Python `re` pattern into an RE2 pattern of the same meaning, token by token
 * (the rules are listed in `regex.ts`).
 *
 * @module
 */

import { InvalidRegexError } from "./errors.ts";

// Python's \s on str: the characters str.isspace() accepts.
const WHITE_SPACE = [
  [0x09, 0x0d],
  [0x1c, 0x20],
  [0x85, 0x85],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
const ASCII_SPACE = [[0x09, 0x0d], [0x20, 0x20]];
const ASCII_DIGIT = [[0x30, 0x39]];
const ASCII_WORD = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const MAX_CODE_POINT = 0x10ffff;
const hex = (n: number) => `\\x{${n.toString(16)}}`;
const ranges = (list: number[][]) =>
  list.map(([a, b]) => a === b ? hex(a) : `${hex(a)}-${hex(b)}`).join("");
const complement = (list: number[][]) =>
  list.map(([a], i) => [i === 0 ? 0 : list[i - 1][1] + 1, a - 1])
    .concat([[list[list.length - 1][1] + 1, MAX_CODE_POINT]]).filter(([a, b]) => a <= b);

/** Python's `\w` outside ASCII mode: letters, numbers and `_` (str.isalnum() or `_`). */
const UNICODE_WORD = "\\p{L}\\p{N}_";
let notUnicodeWord: string | undefined;
/** The complement of `UNICODE_WORD` as class ranges (a class cannot hold `\W`'s intersection). */
function notWordRanges(): string {
  if (notUnicodeWord !== undefined) return notUnicodeWord;
  const word = /[\p{L}\p{N}_]/u;
  const list: number[][] = [];
  for (let c = 0; c <= MAX_CODE_POINT; c++) {
    if (word.test(String.fromCodePoint(c))) continue;
    const last = list[list.length - 1];
    if (last && last[1] === c - 1) last[1] = c;
    else list.push([c, c]);
  }
  return notUnicodeWord = ranges(list);
}

/** The class body (without brackets) of `\d`, `\D`, `\w`, `\W`, `\s` or `\S`. */
function classBody(letter: string, ascii: boolean): string {
  switch (letter) {
    case "d":
      return ascii ? ranges(ASCII_DIGIT) : "\\p{Nd}";
    case "D":
      return ascii ? ranges(complement(ASCII_DIGIT)) : "\\P{Nd}";
    case "w":
      return ascii ? ranges(ASCII_WORD) : UNICODE_WORD;
    case "W":
      return ascii ? ranges(complement(ASCII_WORD)) : notWordRanges();
    case "s":
      return ranges(ascii ? ASCII_SPACE : WHITE_SPACE);
    default:
      return ranges(complement(ascii ? ASCII_SPACE : WHITE_SPACE));
  }
}

/** A pattern translated to RE2, with where each of the user's groups went. */
export interface Translation {
  pattern: string;
  lookbehind: boolean;
  /** The RE2 group number of the user's group i + 1. */
  groups: number[];
  /** The user's group number of each named group. */
  names: Map<string, number>;
  /** RE2 groups that capture the final newline a `$` matched before (zero-width in Python). */
  eol: number[];
}

interface Flags {
  ascii: boolean;
  multiline: boolean;
  verbose: boolean;
}

const FLAG_LETTERS = /^[aiLmsux]*(-[imsx]+)?/;

/**
 * The RE2 pattern that means in RE2 what `source` means to Python's `re` (see `regex.ts`).
 *
 * @throws {InvalidRegexError} when Python would refuse the pattern, or RE2 cannot match it.
 */
export function translate(source: string): Translation {
  const fail = (reason: string): never => {
    throw new InvalidRegexError(source, reason);
  };
  const linear = (what: string): never =>
    fail(
      `${what} cannot be matched in linear time, and scenario patterns are (so that none can ` +
        `hang a run); rewrite it without`,
    );
  let out = "";
  let re2Groups = 0;
  let lookbehinds = 0;
  const t: Translation = { pattern: "", lookbehind: false, groups: [], names: new Map(), eol: [] };
  let flags: Flags = { ascii: false, multiline: false, verbose: false };
  const stack: { flags: Flags; lookbehind: boolean }[] = [];
  let i = 0;
  // Global flags: only at the start (Python 3.11 refuses them elsewhere).
  for (let m; (m = /^\(\?([aiLmsux]+)\)/.exec(source.slice(i))) !== null; i += m[0].length) {
    flags = applyFlags(flags, m[1], "", fail);
    const native = m[1].replace(/[^is]/g, "");
    if (native) out += `(?${native})`;
  }
  for (; i < source.length; i++) {
    const c = source[i];
    if (flags.verbose && /[ \t\n\r\v\f]/.test(c)) continue;
    if (flags.verbose && c === "#") {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (c === "\\") {
      const [text, used] = escape(source, i + 1, false, flags.ascii, fail, linear);
      out += text;
      i += used;
    } else if (c === "[") {
      const [text, end] = charClass(source, i, flags.ascii, fail, linear);
      out += text;
      i = end;
    } else if (c === "(") {
      const rest = source.slice(i + 1);
      stack.push({ flags, lookbehind: false });
      if (!rest.startsWith("?")) {
        t.groups.push(++re2Groups);
        out += "(";
        continue;
      }
      const ext = rest.slice(1);
      if (ext.startsWith(":")) {
        out += "(?:";
        i += 2;
      } else if (ext.startsWith("P<")) {
        const name = /^P<([^>]*)>/.exec(ext);
        if (!name) fail("missing >, unterminated name");
        const n = name![1];
        if (!/^[\p{L}_][\p{L}\p{N}_]*$/u.test(n)) fail(`bad character in group name '${n}'`);
        if (t.names.has(n)) fail(`redefinition of group name '${n}'`);
        t.groups.push(++re2Groups);
        t.names.set(n, t.groups.length);
        out += `(?P<${n}>`;
        i += 1 + name![0].length;
      } else if (ext.startsWith("P=")) {
        linear(`a backreference (?P=name)`);
      } else if (ext.startsWith("#")) {
        stack.pop();
        const end = source.indexOf(")", i);
        if (end < 0) fail("missing ), unterminated comment");
        i = end;
      } else if (ext.startsWith("<=") || ext.startsWith("<!")) {
        t.lookbehind = true;
        lookbehinds++;
        stack[stack.length - 1].lookbehind = true;
        out += `(?${ext.slice(0, 2)}`;
        i += 3;
      } else if (ext.startsWith("=") || ext.startsWith("!")) {
        linear(`lookahead (?${ext[0]}...)`);
      } else if (ext.startsWith("(")) {
        linear("a conditional group (?(...)...)");
      } else if (ext.startsWith(">")) {
        linear("an atomic group (?>...)");
      } else {
        const m = FLAG_LETTERS.exec(ext)!;
        const after = ext[m[0].length];
        if (m[0] && after === ")") fail("global flags not at the start of the expression");
        if (!m[0] || after !== ":") fail(`unknown extension ?${ext.slice(0, 2)}`);
        const [on, off = ""] = m[0].split("-");
        flags = applyFlags(flags, on, off, fail);
        const native = on.replace(/[^is]/g, "") +
          (off.includes("i") || off.includes("s") ? `-${off.replace(/[^is]/g, "")}` : "");
        out += native ? `(?${native}:` : "(?:";
        i += 1 + m[0].length + 1;
      }
    } else if (c === ")") {
      const top = stack.pop();
      if (top === undefined) fail(`unbalanced parenthesis at position ${i}`);
      if (top!.lookbehind) lookbehinds--;
      flags = top!.flags;
      out += ")";
    } else if (c === "^") {
      out += flags.multiline ? "(?m:^)" : "\\A";
    } else if (c === "$") {
      if (flags.multiline) out += "(?m:$)";
      else if (lookbehinds > 0) out += "(?:\\n?\\z)";
      else {
        t.eol.push(++re2Groups);
        out += "(?:\\z|(\\n)\\z)";
      }
    } else if (c === "{") {
      const q = /^\{(\d*)(,?)(\d*)\}/.exec(source.slice(i));
      if (q && (q[1] || q[3] || q[2])) {
        out += q[2] ? `{${q[1] || "0"},${q[3]}}` : `{${q[1]}}`;
        i += q[0].length - 1;
        if (source[i + 1] === "+") linear("a possessive quantifier");
      } else out += "\\{";
    } else if (c === "*" || c === "+" || c === "?") {
      out += c;
      if (source[i + 1] === "+") linear("a possessive quantifier");
    } else {
      out += c;
    }
  }
  if (stack.length > 0) fail(`missing ), unterminated subpattern`);
  t.pattern = out;
  return t;
}

function applyFlags(flags: Flags, on: string, off: string, fail: (r: string) => never): Flags {
  if (on.includes("L")) fail("bad inline flag: cannot use 'L' flag with a str pattern");
  if (on.includes("a") && on.includes("u")) {
    fail("bad inline flag: flags 'a' and 'u' are incompatible");
  }
  return {
    ascii: on.includes("a") ? true : on.includes("u") ? false : flags.ascii,
    multiline: on.includes("m") ? true : off.includes("m") ? false : flags.multiline,
    verbose: on.includes("x") ? true : off.includes("x") ? false : flags.verbose,
  };
}

/** Translates the class that opens at `start`; returns the RE2 text and the index of its `]`. */
function charClass(
  source: string,
  start: number,
  ascii: boolean,
  fail: (r: string) => never,
  linear: (what: string) => never,
): [string, number] {
  let out = "[";
  let i = start + 1;
  if (source[i] === "^") out += source[i++];
  const leadingBracket = source[i] === "]";
  if (leadingBracket) {
    out += "\\]";
    i++;
  }
  // What the last item was, for ranges: Python refuses `[\d-z]` and `[a-\d]` (bad character
  // range), where RE2 would read the `-` as a literal; a range's end starts no new range.
  let last: "none" | "char" | "class" | "range" = leadingBracket ? "char" : "none";
  for (; i < source.length; i++) {
    const c = source[i];
    if (c === "]") return [out + "]", i];
    const shorthand = c === "\\" && /[dDwWsS]/.test(source[i + 1] ?? "");
    if (c === "-" && (last === "char" || last === "class") && source[i + 1] !== "]") {
      const end = source[i + 1] === "\\" && /[dDwWsS]/.test(source[i + 2] ?? "");
      if (last === "class" || end) {
        const from = source.lastIndexOf("\\", i - 1);
        fail(
          `bad character range ${source.slice(last === "class" ? from : i - 1, i + (end ? 3 : 2))}`,
        );
      }
      out += c;
      last = "range";
      continue;
    }
    last = last === "range" ? "none" : shorthand ? "class" : "char";
    if (c === "\\") {
      const [text, used] = escape(source, i + 1, true, ascii, fail, linear);
      out += text;
      i += used;
    } else out += c === "[" ? "\\[" : c;
  }
  return fail(`unterminated character set at position ${start}`);
}

/** Translates the escape whose letter is at `at`; returns the RE2 text and how many characters it used. */
function escape(
  source: string,
  at: number,
  inClass: boolean,
  ascii: boolean,
  fail: (r: string) => never,
  linear: (what: string) => never,
): [string, number] {
  const c = source[at];
  if (c === undefined) fail("bad escape (end of pattern)");
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return [hex(simple), 1];
  if (/[dDwWsS]/.test(c)) {
    const body = classBody(c, ascii);
    return [inClass ? body : `[${body}]`, 1];
  }
  if (c === "b") return [inClass ? hex(8) : "\\b", 1];
  if (!inClass && c === "B") return ["\\B", 1];
  if (!inClass && c === "A") return ["\\A", 1];
  if (!inClass && c === "Z") return ["\\z", 1];
  if (/[0-7]/.test(c)) {
    const octal = /^[0-7]{1,3}/.exec(source.slice(at))![0];
    if (c === "0" || octal.length === 3 || inClass) {
      const code = parseInt(octal, 8);
      if (code > 0o377) fail(`octal escape value \\${octal} outside of range 0-0o377`);
      return [hex(code), octal.length];
    }
  }
  if (/[1-9]/.test(c)) {
    if (inClass) fail(`bad escape \\${c}`);
    linear(`a backreference \\${c}`);
  }
  const sized: Record<string, number> = { x: 2, u: 4, U: 8 };
  if (sized[c] !== undefined) {
    const digits = new RegExp(`^[0-9A-Fa-f]{${sized[c]}}`).exec(source.slice(at + 1));
    if (!digits) fail(`incomplete escape \\${c}${source.slice(at + 1, at + 1 + sized[c])}`);
    const code = parseInt(digits![0], 16);
    if (code > MAX_CODE_POINT) fail(`bad escape \\${c}${digits![0]}`);
    return [hex(code), 1 + sized[c]];
  }
  if (c === "N") fail("named Unicode escapes \\N{...} are not supported: write the character");
  if (/[A-Za-z0-9]/.test(c)) fail(`bad escape \\${c}`);
  // Any other escaped character stands for itself; RE2 accepts a backslash before punctuation only.
  return [/[!-/:-@[-`{-~]/.test(c) ? `\\${c}` : c, 1];
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
};
