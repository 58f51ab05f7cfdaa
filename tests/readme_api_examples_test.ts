/**
 * README's TypeScript examples run as written: each ```ts block that imports "./mod.ts" is run in a
 * fresh Deno process (the import pointed at this checkout), must exit 0, and must print what its
 * `console.log(...); // comment` lines say it prints.
 */
import { equal, ok } from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const README = await Deno.readTextFile(new URL("README.md", ROOT));

/** The ```ts blocks of README that import the library from the checkout, with their line numbers. */
function apiExamples(markdown: string): { line: number; code: string }[] {
  const examples: { line: number; code: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```ts") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== "```") end++;
    const code = lines.slice(start, end).join("\n");
    if (code.includes('from "./mod.ts"')) examples.push({ line: start + 1, code });
    i = end;
  }
  return examples;
}

/** What the `console.log(...); // X` lines promise to print (X taken whole, unless it elides). */
function promisedOutputs(code: string): string[] {
  return [...code.matchAll(/^\s*console\.log\(.*\);\s*\/\/\s*(.+)$/gm)]
    .map((match) => match[1].trim())
    .filter((text) => !text.includes("...") && !text.includes("…"));
}

const examples = apiExamples(README);

Deno.test("README has TypeScript API examples to run", () => {
  ok(examples.length >= 5, `${examples.length} examples found`);
});

for (const { line, code } of examples) {
  Deno.test(`README.md:${line}: the example runs as written and prints what it says`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "pyrepl3-readme-" });
    try {
      const file = `${dir}/example.ts`;
      await Deno.writeTextFile(
        file,
        code.replaceAll('"./mod.ts"', JSON.stringify(new URL("mod.ts", ROOT).href)),
      );
      const { code: exit, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-q", "-A", file],
        cwd: dir,
        stdin: "null",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const out = new TextDecoder().decode(stdout);
      equal(exit, 0, `${out}\n${new TextDecoder().decode(stderr)}`);
      for (const promised of promisedOutputs(code)) {
        ok(out.includes(promised), `prints ${JSON.stringify(promised)}; printed:\n${out}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
