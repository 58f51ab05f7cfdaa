/**
 * The notebook entry of the document registry (`lib/docs/sources.ts`): `.ipynb` files load
 * with `loadNotebook()` and are written back by `updateNotebook()`.
 *
 * @module
 */

import type { DocumentSource } from "../docs/sources.ts";
import { loadNotebook, notebookSource } from "./load.ts";
import { updateNotebook } from "./update.ts";

/** Jupyter notebooks (`.ipynb`, nbformat 4) as a document source. */
export const NOTEBOOK_SOURCE: DocumentSource = {
  kind: "notebook",
  load: (path, text, options) =>
    loadNotebook(path, text, {
      sanitize: options.sanitize,
      images: options.images,
      config: options.config,
    }),
  update: (scenario, report) =>
    updateNotebook(scenario.file, report, { expectedText: notebookSource(scenario) }),
};
