/**
 * Documents as `deno test` tests through `scenarioTests()`: this project's README (its "Docs as
 * tests" examples) and a directory of passing documents and module docstrings.
 */
import { scenarioTests } from "../lib/scenario/testing.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

const here = (path: string) => new URL(path, import.meta.url).pathname;

await scenarioTests(here("../README.md"), { python: TEST_PYTHON });
await scenarioTests(here("./fixtures/docs/suite/"), {
  python: TEST_PYTHON,
  docs: true,
  doctestModules: true,
});
