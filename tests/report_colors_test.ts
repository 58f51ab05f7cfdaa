import { equal, match, ok } from "node:assert/strict";
import { type ColorChoice, type ColorContext, shouldColor } from "../lib/report/_colors.ts";
import { runCli, tempScenarios } from "./_helpers/cli.ts";

const cases: [ColorChoice, ColorContext, boolean][] = [
  ["auto", { isTerminal: true }, true],
  ["auto", { isTerminal: false }, false],
  ["auto", { isTerminal: true, noColor: "1" }, false],
  ["auto", { isTerminal: true, noColor: "" }, true],
  ["auto", { isTerminal: false, forceColor: "1" }, true],
  ["auto", { isTerminal: false, forceColor: "" }, true],
  ["auto", { isTerminal: true, forceColor: "0" }, false],
  ["auto", { isTerminal: true, forceColor: "false" }, false],
  ["auto", { isTerminal: false, noColor: "1", forceColor: "1" }, true],
  ["always", { isTerminal: false, noColor: "1" }, true],
  ["never", { isTerminal: true, forceColor: "1" }, false],
];
for (const [choice, context, expected] of cases) {
  Deno.test(`--color ${choice} with ${JSON.stringify(context)} colours: ${expected}`, () => {
    equal(shouldColor(choice, context), expected);
  });
}

const PASS = `name: adds\nsteps:\n  - exec: "1 + 1"\n    expect: { value: 2 }\n`;

Deno.test("the CLI colours off a terminal under --color always or FORCE_COLOR, never under --color never", async () => {
  const dir = await tempScenarios({ "a.yaml": PASS });
  const env = { NO_COLOR: "", FORCE_COLOR: "" };
  const plain = await runCli([dir], { env: { NO_COLOR: "" } });
  ok(!plain.stdout.includes("\x1b["), plain.stdout);
  const always = await runCli([dir, "--color", "always"], { env: { NO_COLOR: "1" } });
  ok(always.stdout.includes("\x1b[32m"), always.stdout);
  const forced = await runCli([dir], { env: { ...env, FORCE_COLOR: "1" } });
  ok(forced.stdout.includes("\x1b[32m"), forced.stdout);
  const never = await runCli([dir, "--color=never"], { env: { ...env, FORCE_COLOR: "1" } });
  ok(!never.stdout.includes("\x1b["), never.stdout);
  const bad = await runCli([dir, "--color", "sometimes"]);
  equal(bad.code, 2);
  match(bad.stderr, /--color: expected auto, always or never, got "sometimes"/);
  await Deno.remove(dir, { recursive: true });
});
