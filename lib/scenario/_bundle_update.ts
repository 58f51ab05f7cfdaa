/**
 * `--update` of rich-output expectations (`display:` and `data:`): a text or JSON type that failed
 * gets what came back, one that passed keeps its matcher, an image keeps its `snapshot:` (the file
 * is rewritten by `update.ts`), and `display:` gets one entry per output shown.
 *
 * @module
 */
import type { DisplayOutput, MimeBundle } from "../results.ts";
import type { ExpectationFailure, StepReport } from "../report/model.ts";
import { mimeKind } from "../report/_bundle.ts";
import type { BundleExpectation } from "./types.ts";

/** The bundle (a display's 0-based index, or null for `data`) and MIME type a failure is about. */
interface FailedMime {
  index: number | null;
  mime: string | undefined;
}

// The messages of _bundle_check.ts: "display 2: text/html differs", "data: has no text/html (...)".
const MESSAGE = /^(?:data|display (\d+)): (?:has no (\S+)|(\S+) )/;

function failedMime(failure: ExpectationFailure): FailedMime | undefined {
  const found = MESSAGE.exec(failure.message);
  if (!found) return undefined;
  return {
    index: found[1] === undefined ? null : Number(found[1]) - 1,
    mime: found[2] ?? found[3],
  };
}

/**
 * True when writing what came back would make the step's `display:`/`data:` failures pass: not
 * when a type was left out of the result for its size (over `maxOutputChars`).
 */
export function bundleFailuresFixable(step: StepReport): boolean {
  return step.failures.every((f) =>
    (f.kind !== "display" && f.kind !== "data") || !f.message.includes(" was left out: ")
  );
}

/**
 * What `key` (`display` or `data`) of the step's expectation should say, given `want`, the
 * expectation as the file has it; undefined for a `data:` with no trailing value to describe.
 *
 * @example
 * ```ts
 * import { freshBundleExpectation } from "./_bundle_update.ts";
 * const step = {
 *   index: 0, kind: "exec", label: "", line: 1, column: 1, status: "failed" as const, durationMs: 1,
 *   failures: [{ kind: "data" as const, key: "data", message: "data: text/html differs" }],
 *   actual: { status: "ok" as const, stdout: "", stderr: "", data: { "text/html": "<b>new</b>" } },
 * };
 * const fresh = freshBundleExpectation("data", { "text/html": "<b>old</b>" }, step);
 * if (JSON.stringify(fresh) !== '{"text/html":"<b>new</b>"}') throw new Error(JSON.stringify(fresh));
 * ```
 */
export function freshBundleExpectation(
  key: "display" | "data",
  want: unknown,
  step: StepReport,
): BundleExpectation | BundleExpectation[] | undefined {
  const failed = step.failures.filter((f) => f.kind === key).map(failedMime);
  // The count of displays ("expected 2 display(s), got 3") names no type: the list is rewritten.
  const isFailed = (index: number | null, mime: string) =>
    failed.some((f) => f !== undefined && f.index === index && f.mime === mime);
  if (key === "data") {
    const data = step.actual?.data;
    return data === undefined ? undefined : fresh(asBundle(want), data, null, isFailed);
  }
  const wants = Array.isArray(want) ? want : [];
  const displays: DisplayOutput[] = step.actual?.displays ?? [];
  return displays.map((display, i) => fresh(asBundle(wants[i]), display.data, i, isFailed));
}

function fresh(
  want: BundleExpectation,
  got: MimeBundle,
  index: number | null,
  isFailed: (index: number | null, mime: string) => boolean,
): BundleExpectation {
  const out: BundleExpectation = {};
  for (const [mime, expectation] of Object.entries(want)) {
    if (!(mime in got)) continue; // the output has no such type any more
    const kind = mimeKind(mime);
    if (kind === "binary" || !isFailed(index, mime)) out[mime] = expectation;
    else out[mime] = kind === "text" ? String(got[mime]) : got[mime];
  }
  // An output no type of the expectation describes is described by its text.
  if (Object.keys(out).length === 0 && typeof got["text/plain"] === "string") {
    out["text/plain"] = got["text/plain"];
  }
  return out;
}

function asBundle(value: unknown): BundleExpectation {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as BundleExpectation
    : {};
}
