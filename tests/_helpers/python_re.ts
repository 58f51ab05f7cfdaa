/**
 * Python's `re` as a test oracle: one `python3` run answers a whole table of searches and
 * substitutions, so scenario regexes can be checked against what they mean in Python.
 */
import { TEST_PYTHON } from "./session.ts";

/** One question for Python's `re`: `re.search(pattern, text)` or `re.sub(pattern, repl, text)`. */
export type ReCase =
  | { op: "search"; pattern: string; text: string }
  | { op: "sub"; pattern: string; repl: string; text: string }
  | { op: "compile"; pattern: string };

/** Python's answer: true/false for a search, the text of a sub, or `{ error }` when re raised. */
export type ReAnswer = boolean | string | { error: string };

const ORACLE = `
import json, re, sys, warnings
warnings.simplefilter("ignore")
out = []
for case in json.load(sys.stdin):
    try:
        if case["op"] == "search":
            out.append(re.search(case["pattern"], case["text"]) is not None)
        elif case["op"] == "sub":
            out.append(re.sub(case["pattern"], case["repl"], case["text"]))
        else:
            re.compile(case["pattern"])
            out.append(True)
    except (re.error, IndexError) as e:
        out.append({"error": str(e)})
json.dump(out, sys.stdout)
`;

/** Asks Python's `re` every case of `cases` in one process; answers come back in order. */
export async function askPythonRe(cases: readonly ReCase[]): Promise<ReAnswer[]> {
  const child = new Deno.Command(TEST_PYTHON, {
    args: ["-c", ORACLE],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(cases)));
  await writer.close();
  const { success, stdout } = await child.output();
  if (!success) throw new Error("the Python re oracle failed");
  return JSON.parse(new TextDecoder().decode(stdout));
}
