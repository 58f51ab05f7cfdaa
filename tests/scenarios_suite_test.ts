/** The example scenarios in scenarios/ are the project's own regression suite. */
import { scenarioTests } from "../lib/scenario/testing.ts";

await scenarioTests("scenarios");
