/**
 * Checks the rich outputs of an execution (`display:` and `data:` expectations): text types with
 * the text matchers, JSON types by deep equality, images against snapshot files.
 *
 * @module
 */
import type { DisplayOutput, MimeBundle } from "../results.ts";
import type { ExpectationFailure } from "../report/model.ts";
import { bundleSummary, mimeKind } from "../report/_bundle.ts";
import { matchTextKeys, renderValue, valuesEqual } from "./matchers.ts";
import { isNotebookImage } from "../notebook/images.ts";
import { compareSnapshot, snapshotPath, snapshotPathProblem } from "./snapshot.ts";
import type {
  BundleExpectation,
  Normalizer,
  SnapshotExpectation,
  TextExpectation,
} from "./types.ts";

/** Where the bundles' expectations are checked: snapshot paths are relative to `dir`. */
export interface BundleCheckOptions {
  /** The directory of the file the step is written in. */
  dir: string;
  /** The step's normalizers, applied to text types. */
  normalize: readonly Normalizer[];
}

/** The failures of `want` (a `display:` list) against the displays shown. */
export function checkDisplays(
  want: BundleExpectation[],
  displays: readonly DisplayOutput[],
  options: BundleCheckOptions,
): ExpectationFailure[] {
  const failures: ExpectationFailure[] = [];
  if (want.length !== displays.length) {
    failures.push({
      kind: "display",
      key: "display",
      message: `expected ${want.length} display(s), got ${displays.length}`,
      expected: `${want.length} display(s)` +
        (want.length > 0 ? `: ${want.map((w) => Object.keys(w).join(" ")).join(" | ")}` : ""),
      actual: displays.length === 0
        ? "(nothing displayed)"
        : `${displays.length} display(s): ${
          displays.map((d) => bundleSummary(d.data)).join(" | ")
        }`,
    });
  }
  for (let i = 0; i < Math.min(want.length, displays.length); i++) {
    failures.push(...checkBundle(want[i], displays[i].data, i, options, displays[i].omitted));
  }
  return failures;
}

/**
 * The failures of one bundle expectation; `index` is the display's, null for the value's `data`;
 * `omitted` the types the result left out for being over `maxOutputChars` (named in the failure).
 */
export function checkBundle(
  want: BundleExpectation,
  bundle: MimeBundle | undefined,
  index: number | null,
  options: BundleCheckOptions,
  omitted?: Record<string, number>,
): ExpectationFailure[] {
  const kind = index === null ? "data" : "display";
  const where = index === null ? "data" : `display ${index + 1}`;
  const failures: ExpectationFailure[] = [];
  const fail = (message: string, expected?: string, actual?: string) =>
    failures.push({ kind, key: kind, message: `${where}: ${message}`, expected, actual });
  for (const [mime, expectation] of Object.entries(want)) {
    const got = bundle?.[mime];
    if (got === undefined && omitted?.[mime] !== undefined) {
      fail(
        `${mime} was left out: its ${omitted[mime]} bytes are over the display budget ` +
          `(maxOutputChars)`,
        mime,
        bundle ? bundleSummary(bundle) : "",
      );
      continue;
    }
    if (got === undefined) {
      const has = bundle ? Object.keys(bundle).join(", ") : "no trailing value";
      fail(`has no ${mime} (it has ${has || "nothing"})`, mime, has);
      continue;
    }
    const type = mimeKind(mime);
    if (type === "text") {
      const text = typeof got === "string" ? got : String(got);
      for (const m of matchTextKeys(text, expectation as TextExpectation, options.normalize)) {
        if (!m.ok) fail(`${mime} ${m.reason}`, m.expected, m.actual);
      }
    } else if (type === "json") {
      if (!valuesEqual(expectation, got)) {
        fail(`${mime} differs`, renderValue(expectation), renderValue(got));
      }
    } else {
      const { snapshot, tolerance } = expectation as SnapshotExpectation;
      // Validation refuses it too: never written. A notebook's saved images are only read.
      const refused = isNotebookImage(snapshot) ? undefined : snapshotPathProblem(snapshot);
      if (refused !== undefined) {
        fail(`${mime} ${refused}`, snapshot, bundleSummary({ [mime]: got }));
        continue;
      }
      const bytes = got instanceof Uint8Array ? got : new Uint8Array();
      const file = snapshotPath(snapshot, options.dir);
      const verdict = compareSnapshot(bytes, file, tolerance ?? 0, mime);
      if (verdict.ok) continue;
      const made = [verdict.actualFile, verdict.diffFile].filter((f) => f !== undefined);
      failures.push({
        kind,
        key: kind,
        message: `${where}: ${mime} ${verdict.reason}` +
          (made.length > 0 ? ` (wrote ${made.join(" and ")})` : ""),
        expected: snapshot,
        actual: bundleSummary({ [mime]: got }),
        snapshot: {
          file,
          display: index,
          mime,
          ...(verdict.actualFile ? { actualFile: verdict.actualFile } : {}),
          ...(verdict.diffFile ? { diffFile: verdict.diffFile } : {}),
        },
      });
    }
  }
  return failures;
}
