/**
 * SIGINT and SIGTERM in the middle of `pyrepl3 --update`: the CLI stops scheduling, interrupts
 * the running cell, writes the reports of what ran, and exits 130/143; no file is left half
 * written.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { parse } from "yaml";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { tempScenarios } from "./_helpers/cli.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/**
 * Reads `stream` as text: `found` resolves once `marker` was read (or the stream ended), `all`
 * with the whole text at its end.
 */
function readUntil(stream: ReadableStream<Uint8Array>, marker: string) {
  let text = "";
  let seen: () => void = () => {};
  const found = new Promise<void>((resolve) => seen = resolve);
  const all = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.includes(marker)) seen();
    }
    seen();
    return text;
  })();
  return { found, all };
}

/** A scenario of `count` steps whose expectations are all wrong (so --update rewrites them all). */
function wrongSteps(name: string, count: number, blockAt?: { step: number; fifo: string }): string {
  const lines = [`name: ${name}`, "steps:"];
  for (let i = 0; i < count; i++) {
    const code = i === blockAt?.step
      ? `open(${JSON.stringify(blockAt.fifo)}).read(); print(${i})`
      : `print(${i})`;
    lines.push(`  - exec: ${JSON.stringify(code)}`, `    expect: { stdout: "wrong\\n" }`);
  }
  return lines.join("\n") + "\n";
}

for (const [signal, exitCode] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`${signal} during --update exits ${exitCode}, writes the JUnit report, and leaves every file whole`, async () => {
    const dir = await tempScenarios({});
    const fifo = `${dir}/gate`;
    ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    const long = wrongSteps("long", 40, { step: 20, fifo });
    await Deno.writeTextFile(`${dir}/a_first.yaml`, wrongSteps("first", 3));
    await Deno.writeTextFile(`${dir}/b_long.yaml`, long);
    await Deno.writeTextFile(`${dir}/c_never.yaml`, wrongSteps("never", 2));
    const junit = `${dir}/out/junit.xml`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, dir, "--update", "--jobs", "1", "--reporter", `junit:${junit}`],
      // A CI variable of the machine running the tests would refuse --update.
      env: { CI: "" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Opening the FIFO for writing waits until step 21 of b_long.yaml opens it for reading:
    // the signal lands in the middle of that scenario, with a_first.yaml done and updated.
    const opening = Deno.open(fifo, { write: true });
    const reached = await Promise.race([
      opening.then(() => "gate"),
      child.status.then(() => "exit"),
    ]);
    if (reached === "exit") {
      // The CLI ended before step 21: unblock our open (a reader) and fail with what it said.
      (await Deno.open(fifo, { read: true })).close();
      (await opening).close();
      const { stdout, stderr } = await child.output();
      throw new Error(
        `the CLI exited before the gate: ${new TextDecoder().decode(stdout)}${
          new TextDecoder().decode(stderr)
        }`,
      );
    }
    const gate = await opening;
    child.kill(signal);
    // The gate stays shut until the CLI says it is stopping: closed at once, it let step 21 end
    // and the scenario run to its end before a busy machine's Deno handled the signal (flaky).
    const errText = readUntil(child.stderr, `${signal}: stopping`);
    await errText.found;
    gate.close();
    const [{ code, signal: killedBy }, out, err] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      errText.all,
    ]);
    equal(killedBy, null, "the CLI exited by itself, not by the signal");
    equal(code, exitCode, out + err);
    match(err, new RegExp(`pyrepl3: ${signal}: stopping`));

    equal(await Deno.readTextFile(`${dir}/b_long.yaml`), long, "the interrupted file is unchanged");
    const first = parse(await Deno.readTextFile(`${dir}/a_first.yaml`));
    deepStrictEqual(first.steps.map((s: { expect: { stdout: string } }) => s.expect.stdout), [
      "0\n",
      "1\n",
      "2\n",
    ], "the file that finished before the signal is fully updated");
    equal(await Deno.readTextFile(`${dir}/c_never.yaml`), wrongSteps("never", 2));

    const xml = await Deno.readTextFile(junit);
    equal(XMLValidator.validate(xml), true, "complete XML");
    const cases = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" })
      .parse(xml).testsuites.testsuite.testcase;
    deepStrictEqual(cases.map((c: Record<string, string>) => c["@name"]), ["first", "long"]);
    match(JSON.stringify(cases[1].failure), /the run was stopped \(SIG(INT|TERM)\)/);
    deepStrictEqual(
      (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).filter((n) =>
        n.endsWith(".tmp")
      ),
      [],
      "no temporary file left",
    );
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("SIGINT while documents load stops the run before anything runs: exit 130, nothing written", async () => {
  const dir = await tempScenarios({});
  const fifo = `${dir}/gate`;
  ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
  // Finding the module's examples imports it, and the import waits at the gate.
  const module = `open(${JSON.stringify(fifo)}).read()\n\n` +
    `def one():\n    """\n    >>> one()\n    2\n    """\n    return 1\n`;
  await Deno.writeTextFile(`${dir}/slow.py`, module);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, `${dir}/slow.py`, "--doctest-modules", "--update"],
    env: { CI: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const gate = await Deno.open(fifo, { write: true });
  child.kill("SIGINT");
  await new Promise((resolve) => setTimeout(resolve, 200)); // the signal lands before the gate opens
  gate.close();
  const { code, signal, stdout, stderr } = await child.output();
  const out = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  equal(signal, null, "the CLI exited by itself, saying why, not killed by the signal");
  equal(code, 130, out);
  match(out, /pyrepl3: SIGINT: stopping/);
  ok(!/passed|failed/.test(new TextDecoder().decode(stdout)), out);
  equal(await Deno.readTextFile(`${dir}/slow.py`), module, "the module is not updated");
  await Deno.remove(dir, { recursive: true });
});
