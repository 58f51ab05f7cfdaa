import { equal, match, ok } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";

Deno.test("merge-junit refuses a FIFO input instead of waiting on it forever", async () => {
  const dir = await tempScenarios({});
  ok((await new Deno.Command("mkfifo", { args: [`${dir}/in.xml`] }).output()).success);
  const run = await runCli(["merge-junit", `${dir}/out.xml`, `${dir}/in.xml`]);
  equal(run.code, 2);
  match(run.stderr, /merge-junit: cannot read .*in\.xml: not a regular file \(a FIFO\)/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("merge-junit writes its output whole, leaving no temporary file", async () => {
  const dir = await tempScenarios({
    "in.xml": `<?xml version="1.0"?>\n<testsuites><testsuite name="s" tests="1">` +
      `<testcase name="a" classname="s/a.yaml"/></testsuite></testsuites>\n`,
  });
  const run = await runCli(["merge-junit", `${dir}/out/merged.xml`, `${dir}/in.xml`]);
  equal(run.code, 0, run.stderr);
  match(await Deno.readTextFile(`${dir}/out/merged.xml`), /<testcase name="a"/);
  const names = (await Array.fromAsync(Deno.readDir(`${dir}/out`))).map((e) => e.name);
  equal(names.join(), "merged.xml");
  await Deno.remove(dir, { recursive: true });
});
