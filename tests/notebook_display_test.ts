import { equal, ok } from "node:assert/strict";
import { updateNotebook } from "../lib/notebook/mod.ts";
import type { ScenarioReport } from "../lib/report/model.ts";
import { NOTEBOOK_FIXTURES, runNotebook as run, tempDir } from "./_helpers/notebooks.ts";

const FIXTURE = `${NOTEBOOK_FIXTURES}display.ipynb`;

function failures(report: ScenarioReport): string {
  return JSON.stringify(report.steps.map((s) => s.failures.map((f) => f.message)));
}

Deno.test("notebook: display() outputs IPython saved compare by text/plain, images when asked", async () => {
  const text = await Deno.readTextFile(FIXTURE);
  equal((await run(FIXTURE, text)).status, "passed", failures(await run(FIXTURE, text)));
  const withImages = await run(FIXTURE, text, { images: true });
  equal(withImages.status, "passed", failures(withImages));

  // Another colour: the same text/plain, another image.
  const green = text.replace("display(Dot((255, 0, 0)))", "display(Dot((0, 255, 0)))");
  equal((await run(FIXTURE, green)).status, "passed", "images are not compared by default");
  const compared = await run(FIXTURE, green, { images: true });
  equal(compared.steps[1].status, "failed");
  equal(compared.steps[1].failures[0].kind, "display");
  ok(compared.steps[1].failures[0].message.includes("image/png"), failures(compared));

  // A display's text/plain and the number of displays are compared.
  const other = await run(FIXTURE, text.replace('display(\\"shown\\")', 'display(\\"other\\")'));
  equal(other.steps[2].failures[0].kind, "display");
  equal(other.steps[2].failures[0].actual, "'other'");
  const none = await run(FIXTURE, text.replace('display(\\"shown\\")\\n', "pass\\n"));
  ok(none.steps[2].failures[0].message.includes("expected 1 display(s), got 0"), failures(none));
});

Deno.test("notebook --update: displays and images are written as IPython writes them", async () => {
  const original = await Deno.readTextFile(FIXTURE);
  await using dir = await tempDir();
  const path = `${dir.path}/display.ipynb`;
  const nb = JSON.parse(original);
  for (const cell of nb.cells) cell.outputs = [];
  await Deno.writeTextFile(path, JSON.stringify(nb, null, 1) + "\n");
  const emptied = await Deno.readTextFile(path);
  const report = await run(path, emptied, { images: true });
  ok(await updateNotebook(path, report, { expectedText: emptied }));
  const after = JSON.parse(await Deno.readTextFile(path));
  // The image bytes, text/plain and order of each cell's outputs are IPython's.
  const saved = JSON.parse(original).cells;
  // Cell 3 displays then prints: written in that order, as IPython saved it.
  for (const i of [1, 2, 3]) {
    equal(JSON.stringify(after.cells[i].outputs), JSON.stringify(saved[i].outputs));
  }
  const again = await run(path, await Deno.readTextFile(path), { images: true });
  equal(again.status, "passed", failures(again));
});
