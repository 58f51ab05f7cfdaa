/**
 * The HTML reporter: one self-contained page (inline CSS and script, no network) with a summary
 * bar, an all/failed filter, and per scenario its steps with code, inputs, diffs and crash
 * output. The report itself is embedded as JSON (`<script type="application/json"
 * id="pyrepl3-report">`), so `pyrepl3 merge-reports` can merge the HTML reports of shards.
 *
 * @module
 */

import { crashSummary, skippedText } from "./_format.ts";
import { REPORT_CSS, REPORT_JS } from "./_html_assets.ts";
import { htmlDiff } from "./_html_diff.ts";
import { bundleToJson, mimeSummary } from "./_bundle.ts";
import { escapeHtml, scriptJson } from "./_html_escape.ts";
import { formatJson } from "./json.ts";
import type { ExpectationFailure, RunReport, ScenarioReport, StepReport } from "./model.ts";

/** Where `--reporter html` writes when no file is given. */
export const DEFAULT_HTML_REPORT = "pyrepl3-report/index.html";

/** The `id` of the script element that holds the report as JSON. */
export const REPORT_DATA_ID = "pyrepl3-report";

/**
 * The report as one HTML document.
 *
 * @example
 * ```ts
 * import { formatHtml } from "./html.ts";
 * const report = { scenarios: [], passed: 0, failed: 0, durationMs: 1, startedAt: "x" };
 * if (!formatHtml(report).includes('id="pyrepl3-report"')) throw new Error("no data");
 * ```
 */
export function formatHtml(report: RunReport): string {
  const title = report.failed > 0
    ? `PyREPL3: ${report.failed} failed, ${report.passed} passed`
    : `PyREPL3: ${report.passed} passed`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body data-filter="all">
${summary(report)}
<main>
${report.scenarios.map(scenario).join("\n")}
</main>
<script type="application/json" id="${REPORT_DATA_ID}">${
    scriptJson(formatJson(report).trimEnd())
  }</script>
<script>${REPORT_JS}</script>
</body>
</html>
`;
}

function summary(report: RunReport): string {
  const skipped = report.scenarios.reduce(
    (n, s) => n + s.steps.filter((step) => step.status === "skipped").length,
    0,
  );
  const items = [
    `<li class="passed">${report.passed} passed</li>`,
    `<li class="failed">${report.failed} failed</li>`,
    `<li class="skipped">${skipped} step${skipped === 1 ? "" : "s"} skipped</li>`,
    `<li>${escapeHtml(duration(report.durationMs))}</li>`,
    report.pythonVersion === undefined ? "" : `<li>Python ${escapeHtml(report.pythonVersion)}</li>`,
    report.hashSeed === undefined ? "" : `<li>hash seed ${report.hashSeed}</li>`,
    report.startedAt === "" ? "" : `<li>started ${escapeHtml(report.startedAt)}</li>`,
  ].filter((item) => item !== "");
  const total = report.scenarios.length;
  const failed = report.scenarios.filter((s) => s.status === "failed").length;
  return `<header>
<h1>PyREPL3 report</h1>
<ul class="counts" aria-label="summary">${items.join("")}</ul>
<nav aria-label="filter">
<a href="#all" data-filter="all" aria-current="true">All (${total})</a>
<a href="#failed" data-filter="failed" aria-current="false">Failed (${failed})</a>
<span class="hint">j / k or ↓ / ↑: next / previous failure</span>
</nav>
</header>`;
}

function scenario(s: ScenarioReport, n: number): string {
  const steps = [...(s.setup ?? []), ...s.steps];
  const seed = s.hashSeed === undefined ? "" : ` data-hash-seed="${s.hashSeed}"`;
  const update = s.updateError === undefined
    ? ""
    : `<p class="error">${escapeHtml(s.updateError)}</p>`;
  const skipped = skippedText(s);
  const skippedNote = skipped === "" ? "" : `<p class="skipped-note">${escapeHtml(skipped)}</p>`;
  return `<section class="scenario ${s.status}" id="scenario-${n}" data-status="${s.status}"${seed}>
<details${s.status === "failed" ? " open" : ""}>
<summary><span class="badge ${s.status}">${s.status === "failed" ? "FAIL" : "PASS"}</span>
<strong>${escapeHtml(s.name)}</strong> <span class="file">${escapeHtml(s.file)}</span>
<span class="time">${escapeHtml(duration(s.durationMs))}</span></summary>
${update}<ol class="steps">
${steps.map((step) => stepItem(s, step)).join("\n")}
</ol>
${skippedNote}</details>
</section>`;
}

function stepItem(s: ScenarioReport, step: StepReport): string {
  const where = `${s.file}:${step.line}`;
  const focus = step.status === "failed" ? ` tabindex="0"` : "";
  const code = step.code ?? step.label;
  const parts = [
    `<div class="step-head"><span class="badge ${step.status}">${step.status}</span>`,
    `<span class="loc">${escapeHtml(where)}</span> <span>${escapeHtml(step.kind)}</span>`,
    `<span class="time">${escapeHtml(duration(step.durationMs))}</span></div>`,
    `<pre class="code">${escapeHtml(code)}</pre>`,
  ];
  if (step.inputs !== undefined && step.inputs.length > 0) {
    parts.push(
      `<div class="inputs">inputs: ${
        step.inputs.map((i) => `<code>${escapeHtml(i)}</code>`).join(", ")
      }</div>`,
    );
  }
  if (step.error !== undefined) parts.push(`<p class="error">${escapeHtml(step.error)}</p>`);
  for (const failure of step.failures) parts.push(failureBlock(failure));
  const images = imagesOf(step);
  if (images !== "") parts.push(images);
  const crash = crashSummary(step);
  if (crash !== undefined) {
    const tail = step.actual?.crash?.stderrTail ?? "";
    parts.push(
      `<div class="stderr-title">${escapeHtml(crash)}${
        tail === "" ? "" : "; its last stderr:"
      }</div>`,
    );
    if (tail !== "") parts.push(`<pre class="stderr">${escapeHtml(tail)}</pre>`);
  }
  return `<li class="step ${step.status}"${focus} aria-label="${
    escapeHtml(`${step.status}: ${where}`)
  }">${parts.join("\n")}</li>`;
}

/** The images a step showed (its displays, then its value's bundle), inline as data: URLs. */
function imagesOf(step: StepReport): string {
  const bundles = [...(step.actual?.displays ?? []).map((d) => d.data), step.actual?.data ?? {}];
  const images = bundles.flatMap((bundle) => {
    const json = bundleToJson(bundle);
    return ["image/png", "image/jpeg", "image/svg+xml"].flatMap((mime) => {
      const data = json[mime];
      if (typeof data !== "string") return [];
      const svg = mime === "image/svg+xml";
      // A merged JSON report's images are text from a file: only base64 is inlined, and escaped.
      if (!svg && !/^[A-Za-z0-9+/=\s]*$/.test(data)) return [];
      const src = svg
        ? `data:${mime};charset=utf-8,${encodeURIComponent(data)}`
        : `data:${mime};base64,${data}`;
      return [
        `<img alt="${escapeHtml(mimeSummary(mime, bundle[mime]))}" src="${escapeHtml(src)}">`,
      ];
    });
  });
  return images.length === 0 ? "" : `<div class="displays">${images.join("\n")}</div>`;
}

function failureBlock(failure: ExpectationFailure): string {
  const message = `<p>${escapeHtml(failure.key)}: ${escapeHtml(failure.message)}</p>`;
  const diff = failure.expected !== undefined && failure.actual !== undefined
    ? htmlDiff(failure.expected, failure.actual)
    : "";
  return `<div class="failure">${message}${diff}</div>`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
