import { deepStrictEqual, equal, rejects, throws } from "node:assert/strict";
import { discoverScenarioFiles, globToRegExp } from "../lib/scenario/discover.ts";
import { ScenarioNotFoundError } from "../lib/scenario/errors.ts";
import { InvalidOptionError } from "../lib/errors.ts";
import { selectScenarios } from "../lib/scenario/select.ts";
import type { Scenario } from "../lib/scenario/types.ts";

async function tree(files: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "scenario_discover_" });
  for (const f of files) {
    await Deno.mkdir(`${dir}/${f}`.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(`${dir}/${f}`, "steps: [{restart: true}]\n");
  }
  return dir;
}

Deno.test("a directory yields its scenario files recursively, sorted, skipping hidden ones", async () => {
  const dir = await tree([
    "b.yaml",
    "a.json",
    "sub/c.yml",
    "sub/README.md",
    ".hidden/d.yaml",
    "node_modules/e.yaml",
  ]);
  try {
    deepStrictEqual(await discoverScenarioFiles([dir]), [
      `${dir}/a.json`,
      `${dir}/b.yaml`,
      `${dir}/sub/c.yml`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("files, directories and globs combine without duplicates, in the order given", async () => {
  const dir = await tree(["x/one.yaml", "x/two.yaml", "y/deep/three.yaml", "y/four.json"]);
  try {
    deepStrictEqual(
      await discoverScenarioFiles([
        `${dir}/x/two.yaml`,
        `${dir}/x`,
        `${dir}/y/**/*.yaml`,
        `${dir}/*/f?ur.{json,yml}`,
      ]),
      [`${dir}/x/two.yaml`, `${dir}/x/one.yaml`, `${dir}/y/deep/three.yaml`, `${dir}/y/four.json`],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing path or a glob that matches nothing is an error", async () => {
  await rejects(() => discoverScenarioFiles(["no/such/dir"]), ScenarioNotFoundError);
  await rejects(() => discoverScenarioFiles(["scenarios/*.nothing"]), ScenarioNotFoundError);
});

const globs: [string, string, boolean][] = [
  ["a/*.yaml", "a/b.yaml", true],
  ["a/*.yaml", "a/b/c.yaml", false],
  ["a/**/*.yaml", "a/b.yaml", true],
  ["a/**/*.yaml", "a/b/c/d.yaml", true],
  ["a/?.yaml", "a/bb.yaml", false],
  ["a/[bc].yaml", "a/c.yaml", true],
  ["a/[!bc].yaml", "a/c.yaml", false],
  ["a/{x,y}.json", "a/y.json", true],
  ["a.b/*.yaml", "aXb/c.yaml", false],
];
for (const [glob, path, ok] of globs) {
  Deno.test(`glob ${glob} ${ok ? "matches" : "does not match"} ${path}`, () => {
    equal(globToRegExp(glob).test(path), ok);
  });
}

function scenario(file: string, name: string, tags: string[] = []): Scenario {
  return { file, name, tags, cwd: "/", steps: [] };
}
const all = ["e", "c", "a", "d", "b", "g", "f"].map((n, i) =>
  scenario(`s/${n}.yaml`, `case ${n}`, i % 2 ? ["odd"] : [])
);

Deno.test("shards partition the scenarios: each runs on exactly one shard", () => {
  for (const total of [1, 2, 3, 4, 7, 9]) {
    const seen = Array.from(
      { length: total },
      (_, i) => selectScenarios(all, { shard: { index: i + 1, total } }),
    )
      .flat().map((s) => s.name).sort();
    deepStrictEqual(seen, all.map((s) => s.name).sort(), `total ${total}`);
  }
});

Deno.test("a shard takes every total-th file in path order and keeps the given order", () => {
  deepStrictEqual(selectScenarios(all, { shard: { index: 1, total: 3 } }).map((s) => s.name), [
    "case a",
    "case d",
    "case g",
  ]);
});

Deno.test("an impossible shard is an InvalidOptionError", () => {
  throws(() => selectScenarios(all, { shard: { index: 0, total: 2 } }), InvalidOptionError);
  throws(() => selectScenarios(all, { shard: { index: 3, total: 2 } }), InvalidOptionError);
});

Deno.test("filter by substring, by /regex/ or RegExp, and by tags", () => {
  deepStrictEqual(selectScenarios(all, { filter: "case b" }).map((s) => s.name), ["case b"]);
  deepStrictEqual(selectScenarios(all, { filter: "/^case [ab]$/" }).map((s) => s.name), [
    "case a",
    "case b",
  ]);
  deepStrictEqual(selectScenarios(all, { filter: /f$/ }).map((s) => s.name), ["case f"]);
  deepStrictEqual(selectScenarios(all, { tags: ["odd"] }).map((s) => s.name), [
    "case c",
    "case d",
    "case g",
  ]);
  deepStrictEqual(selectScenarios(all, { filter: "case (" }).length, 0);
});
