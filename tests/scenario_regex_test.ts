import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { InvalidRegexError } from "../lib/scenario/errors.ts";
import { matchText } from "../lib/scenario/matchers.ts";
import { normalize } from "../lib/scenario/normalize.ts";
import { compileRegex } from "../lib/scenario/regex.ts";
import { askPythonRe } from "./_helpers/python_re.ts";

Deno.test("a catastrophic matches: pattern answers at once instead of hanging", () => {
  // Python's re backtracks 2^40 times on this; RE2 is linear.
  const got = matchText("a".repeat(40) + "!", { matches: "^(a+)+$" }, []);
  equal(got.ok, false);
  equal(got.reason, "does not match /^(a+)+$/");
  ok(matchText("a".repeat(40), { matches: "^(a+)+$" }, []).ok);
});

Deno.test("a catastrophic normalize regex answers at once instead of hanging", () => {
  const text = "x".repeat(30) + "y";
  equal(normalize(text, [{ regex: "(x|x)*z", replace: "-" }]), text);
  equal(normalize("xxz", [{ regex: "(x|x)*z", replace: "-" }]), "-");
});

// Each pattern means in RE2 what it means to Python's re: the same re.search verdict on every text.
const SAME_AS_PYTHON: [string, string[]][] = [
  [".", ["a", "\n", "\r", "\u2028", ""]],
  ["^a.c$", ["abc", "a\rc", "a\nc", "abc\n", "abc\n\n"]],
  ["(?s)^a.c$", ["a\nc", "abc"]],
  ["\\Aabc\\Z", ["abc", "abc\n", "xabc"]],
  ["^(?P<word>\\w+)-\\w+$", ["ab-cd", "ab cd", "été-là", "ab-cd\n"]],
  ["(?m)^b$", ["a\nb\nc", "a\nbc", "b"]],
  ["(?i)hello", ["HeLLo there", "help"]],
  ["a(?i:b)c", ["aBc", "ABc", "abC"]],
  ["(?x) a b  # spaced out\n c", ["abc", "a b c"]],
  ["a(?#comment)b", ["ab", "a(?#comment)b"]],
  ["\\s", [" ", "\t", "\u00a0", "\u3000", "\x1c", "\x85", "\ufeff", "x"]],
  ["^\\S+$", ["abc", "a b", "a\u00a0b", "\u2003"]],
  ["\\d", ["7", "\u0663", "x", "\u00b2"]],
  ["^\\w+$", ["abc_1", "café", "\u00b2", "a-b", "\u0663"]],
  ["[\\W]", ["a", "é", "-", " "]],
  ["[^\\D]", ["5", "x"]],
  ["(?a)\\w", ["é", "e"]],
  ["(?a)^\\s$", ["\u00a0", "\x0b"]],
  ["[\\s\\S]", ["\n", "x", ""]],
  ["[]a]", ["]", "a", "b"]],
  ["[^]a]", ["]", "b"]],
  ["[[:alpha:]]", ["a", ":", "["]],
  ["\\d+\\.\\d+s", ["took 1.25s", "took 1s"]],
  ["\\bword\\b", ["a word here", "swordfish"]],
  ["[\\b]", ["\b", "b"]],
  ["\\x41\\u0042\\U00000043", ["ABC", "abc"]],
  ["\\0\\101\\n", ["\0A\n", "A"]],
  ["[\\101-\\103]", ["B", "D"]],
  ["a{,3}b", ["b", "aaab", "a{,3}b"]],
  ["a{2,}", ["a", "aa"]],
  ["a{x}", ["a{x}", "a"]],
  ["x{}", ["x{}", "x"]],
  ["(?<=\\$)\\d+", ["cost $42", "cost 42"]],
  ["(?<!-)\\b\\d+", ["-5", "5"]],
  ["^warning: .* disk\\n$", ["warning: low disk\n", "warning: low disk\n\n"]],
  ["done$", ["done\n", "done", "done\n\n", "done \n"]],
  ["[a\\-z]", ["-", "b"]],
  ["\\/\\.\\*\\ ", ["/.* ", "/x"]],
  ["a+?b*?", ["aab", "b"]],
  ["(a|b)*c", ["ababc", "abab"]],
  ["\\[x\\]", ["[x]", "x"]],
];
const SEARCHES = SAME_AS_PYTHON.flatMap(([pattern, texts]) =>
  texts.map((text) => ({ op: "search" as const, pattern, text }))
);
const searchAnswers = await askPythonRe(SEARCHES);
for (const [pattern, texts] of SAME_AS_PYTHON) {
  Deno.test(`regex ${JSON.stringify(pattern)} matches as Python's re.search does`, () => {
    const regex = compileRegex(pattern);
    for (const text of texts) {
      const i = SEARCHES.findIndex((c) => c.pattern === pattern && c.text === text);
      equal(regex.test(text), searchAnswers[i], JSON.stringify(text));
    }
  });
}

const REPLACEMENTS: [string, string, string][] = [
  ["(\\d+)ms", "took 12ms and 3ms", "<\\1>"],
  ["(?P<n>\\d+)", "a1b22", "[\\g<n>|\\g<1>|\\g<0>]"],
  ["x*", "abxd", "-"],
  ["(a)(b)?", "ac", "\\1[\\2]\\g<2>"],
  ["0x[0-9a-f]+", "at 0xdeadbeef", "0x..."],
  ["b", "abc", "\\n\\t\\\\\\.\\0\\101"],
  ["(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)", "abcdefghij", "\\10\\g<10>0"],
  ["x$", "ax\n", "y"],
  ["x$", "ax", "y"],
  ["\\s+$", "foo  \n", ""],
  ["(?m)\\s+$", "a  \nb \n", ""],
  ["^", "ab", ">"],
  ["(?m)^", "a\nb\n", ">"],
  ["é", "café", "e"],
];
const SUBS = REPLACEMENTS.map(([pattern, text, repl]) => ({
  op: "sub" as const,
  pattern,
  repl,
  text,
}));
const subAnswers = await askPythonRe(SUBS);
REPLACEMENTS.forEach(([pattern, text, replacement], i) => {
  Deno.test(`replace ${JSON.stringify(replacement)} for ${pattern} works as Python's re.sub`, () => {
    equal(compileRegex(pattern).replaceAll(text, replacement), subAnswers[i]);
  });
});

// Python refuses these replacements too; the message is Python's.
const BAD_REPLACEMENTS: [string, string, RegExp][] = [
  ["(a)", "\\2", /invalid group reference 2/],
  ["(a)", "\\g<x>", /unknown group name 'x'/],
  ["(a)", "\\q", /bad escape \\q/],
  ["(a)", "\\x41", /bad escape \\x/],
  ["(a)", "x\\", /bad escape \(end of pattern\)/],
];
const badSubAnswers = await askPythonRe(
  BAD_REPLACEMENTS.map(([pattern, repl]) => ({ op: "sub", pattern, repl, text: "a" })),
);
BAD_REPLACEMENTS.forEach(([pattern, replacement, reason], i) => {
  Deno.test(`the replacement ${JSON.stringify(replacement)} is refused as Python does`, () => {
    ok(typeof badSubAnswers[i] === "object", "Python refuses it too");
    throws(() => compileRegex(pattern).checkReplacement(replacement), (e) => {
      ok(e instanceof InvalidRegexError);
      match(e.message, reason);
      return true;
    });
  });
});

Deno.test("lookahead, backreferences and the like are refused with the reason", () => {
  for (
    const pattern of [
      "a(?=b)",
      "a(?!b)",
      "(a)\\1",
      "(?P<x>a)(?P=x)",
      "(a)?(?(1)b|c)",
      "(?>a+)b",
      "a*+b",
      "a++b",
      "a?+b",
      "a{1,2}+b",
    ]
  ) {
    throws(() => compileRegex(pattern), (e) => {
      ok(e instanceof InvalidRegexError);
      match(e.message, /cannot be matched in linear time/);
      return true;
    }, pattern);
  }
});

// Invalid in Python: refused here as well (with Python's reason where it is ours).
const INVALID: [string, RegExp][] = [
  ["(a", /missing \), unterminated subpattern/],
  ["a)", /unbalanced parenthesis/],
  ["[a", /unterminated character set/],
  ["\\q", /bad escape \\q/],
  ["\\x4", /incomplete escape \\x4/],
  ["a(?i)b", /global flags not at the start/],
  ["(?<n>a)", /unknown extension \?<n/],
  ["(?Lu)a", /'L' flag/],
  ["*a", /missing argument to repetition operator/],
];
const invalidAnswers = await askPythonRe(INVALID.map(([pattern]) => ({ op: "compile", pattern })));
INVALID.forEach(([pattern, reason], i) => {
  Deno.test(`the invalid pattern ${JSON.stringify(pattern)} is refused`, () => {
    ok(typeof invalidAnswers[i] === "object", "Python refuses it too");
    throws(() => compileRegex(pattern), (e) => {
      ok(e instanceof InvalidRegexError);
      match(e.message, reason);
      return true;
    });
  });
});

Deno.test("Python's named groups and \\A...\\Z work in matches:", () => {
  deepStrictEqual(
    [
      matchText("took 12ms\n", { matches: "\\Atook (?P<n>\\d+)ms\\n\\Z" }, []).ok,
      matchText("took 12ms\n", { matches: "\\Atook (?P<n>\\d+)ms\\Z" }, []).ok,
    ],
    [true, false],
  );
});
