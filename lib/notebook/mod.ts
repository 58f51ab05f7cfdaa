/**
 * Jupyter notebooks as tests: each code cell of a `.ipynb` (nbformat 4) runs, in order, as an
 * exec step of one session and is compared with the outputs saved in the notebook, as nbval
 * compares them (stream text, `text/plain` of results, error names); `--update` writes fresh
 * outputs back into the notebook, changing nothing else.
 *
 * ```ts ignore
 * import { loadNotebook, updateNotebook } from "./lib/notebook/mod.ts";
 * import { runScenario } from "./lib/scenario/run.ts";
 * const text = await Deno.readTextFile("demo.ipynb");
 * const [scenario] = loadNotebook("demo.ipynb", text, { sanitize: true });
 * const report = await runScenario(scenario);
 * console.log(report.status);
 * ```
 *
 * @module
 */

export {
  loadNotebook,
  type NotebookOptions,
  notebookSource,
  SANITIZE_NORMALIZERS,
} from "./load.ts";
export { updateNotebook, type UpdateNotebookOptions } from "./update.ts";
export { CELL_TAGS } from "./expect.ts";
