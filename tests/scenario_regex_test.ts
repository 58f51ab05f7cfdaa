import { equal, match, ok, throws } from "node:assert/strict";
import { InvalidRegexError } from "../lib/scenario/errors.ts";
import { matchText } from "../lib/scenario/matchers.ts";
import { normalize } from "../lib/scenario/normalize.ts";
import { compileRegex } from "../lib/scenario/regex.ts";

Deno.test("a catastrophic matches: pattern answers at once instead of hanging", () => {
  // V8 backtracks 2^40 times on this; RE2 is linear.
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

// Each pattern means in RE2 what it means in JavaScript: same verdicts as RegExp on every text.
const SAME_AS_JAVASCRIPT: [string, string[]][] = [
  [".", ["a", "\n", "\r", "\u2028", ""]],
  ["^a.c$", ["abc", "a\rc", "a\nc"]],
  ["\\s", [" ", "\t", "\u00a0", "\u3000", "\ufeff", "x"]],
  ["^\\S+$", ["abc", "a b", "a\u00a0b", "\u2003"]],
  ["[\\s\\S]", ["\n", "x", ""]],
  ["[^\\s]", [" ", "x"]],
  ["[^]", ["", "\n"]],
  ["[]", ["", "x"]],
  ["\\d+\\.\\d+s", ["took 1.25s", "took 1s"]],
  ["\\bword\\b", ["a word here", "swordfish"]],
  ["[\\b]", ["\b", "b"]],
  ["\\A\\z", ["Az", "\\A\\z", ""]],
  ["\\p{L}", ["p{L}", "é"]],
  ["\\u0041\\x42", ["AB", "ab"]],
  ["\\cJ", ["\n", "J"]],
  ["a{,3}", ["a{,3}", "aaa"]],
  ["^(?<word>\\w+)-\\w+$", ["ab-cd", "ab cd"]],
  ["(?<=\\$)\\d+", ["cost $42", "cost 42"]],
  ["(?<!-)\\d+", ["-5", "5"]],
  ["^warning: .* disk\\n$", ["warning: low disk\n", "warning: low disk\n\n"]],
  ["[a\\-z]", ["-", "b"]],
  ["\\/\\.\\*", ["/.*", "/x"]],
];
for (const [pattern, texts] of SAME_AS_JAVASCRIPT) {
  Deno.test(`regex ${JSON.stringify(pattern)} matches as JavaScript does`, () => {
    const regex = compileRegex(pattern);
    for (const text of texts) {
      equal(regex.test(text), new RegExp(pattern).test(text), JSON.stringify(text));
    }
  });
}

const REPLACEMENTS: [string, string, string][] = [
  ["(\\d+)ms", "took 12ms and 3ms", "<$1>"],
  ["(?<n>\\d+)", "a1b22", "[$<n>]"],
  ["x*", "abc", "-"],
  ["b", "abc", "$`|$&|$'|$$|$2|$<n>"],
  ["(a)(b)?", "ac", "$1$2$10$01"],
  ["0x[0-9a-f]+", "at 0xdeadbeef", "0x..."],
];
for (const [pattern, text, replacement] of REPLACEMENTS) {
  Deno.test(`replace ${JSON.stringify(replacement)} for ${pattern} works as in JavaScript`, () => {
    equal(
      compileRegex(pattern).replaceAll(text, replacement),
      text.replace(new RegExp(pattern, "g"), replacement),
    );
  });
}

Deno.test("lookahead and backreferences are refused with the reason", () => {
  for (const pattern of ["a(?=b)", "a(?!b)", "(a)\\1", "(?<x>a)\\k<x>"]) {
    throws(() => compileRegex(pattern), (e) => {
      ok(e instanceof InvalidRegexError);
      match(e.message, /cannot be matched in linear time/);
      return true;
    });
  }
});

Deno.test("an invalid pattern is refused with JavaScript's reason", () => {
  throws(() => compileRegex("(a"), /invalid regular expression "\(a": Unterminated group/);
});
