/**
 * The inline stylesheet and script of the HTML report: no CDN, no network, so the file opens
 * from disk and from a CI artifact alike.
 *
 * @module
 */

/** The report's stylesheet: light by default, dark under `prefers-color-scheme: dark`. */
export const REPORT_CSS = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --card: #f6f8fa; --pass: #1a7f37; --fail: #cf222e; --skip: #9a6700; --del-bg: #ffebe9;
  --del-mark: #ff818266; --ins-bg: #dafbe1; --ins-mark: #4ac26b66; --focus: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --card: #151b23;
    --pass: #3fb950; --fail: #f85149; --skip: #d29922; --del-bg: #67060c55; --del-mark: #f8514966;
    --ins-bg: #03331855; --ins-mark: #2ea04366; --focus: #4493f8; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { position: sticky; top: 0; z-index: 1; background: var(--card);
  border-bottom: 1px solid var(--line); padding: 10px 20px; }
h1 { font-size: 16px; margin: 0 0 6px; }
.counts { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; margin: 0; padding: 0; }
.counts .passed { color: var(--pass); font-weight: 600; }
.counts .failed { color: var(--fail); font-weight: 600; }
.counts .skipped { color: var(--skip); }
nav { margin-top: 8px; display: flex; gap: 8px; align-items: center; }
nav a { color: var(--fg); text-decoration: none; border: 1px solid var(--line); border-radius: 6px;
  padding: 2px 10px; }
nav a[aria-current="true"] { background: var(--focus); border-color: var(--focus); color: #fff; }
.hint { color: var(--muted); margin-left: auto; font-size: 12px; }
main { padding: 12px 20px 40px; }
.scenario { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 10px; }
.scenario > details > summary { padding: 8px 12px; cursor: pointer; display: flex; gap: 10px;
  align-items: baseline; flex-wrap: wrap; }
.scenario.failed { border-color: var(--fail); }
.badge { font-size: 11px; font-weight: 700; border-radius: 4px; padding: 1px 6px; color: #fff; }
.badge.passed { background: var(--pass); } .badge.failed { background: var(--fail); }
.badge.skipped { background: var(--skip); }
.file, .time, .loc { color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
  font-size: 12px; }
.time { margin-left: auto; }
ol.steps { list-style: none; margin: 0; padding: 0 12px 10px; }
.step { border-top: 1px solid var(--line); padding: 6px 0; }
.step:focus { outline: 2px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
.step-head { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.displays img { max-width: 100%; margin: 6px 8px 6px 0; border: 1px solid var(--line); }
pre { margin: 6px 0; padding: 6px 8px; background: var(--card); border-radius: 6px; overflow-x: auto;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
.failure { margin: 6px 0; }
.failure p, .error { margin: 4px 0; color: var(--fail); }
.diff .line { display: block; white-space: pre; }
.diff .del { background: var(--del-bg); } .diff .ins { background: var(--ins-bg); }
.diff del { background: var(--del-mark); text-decoration: none; }
.diff ins { background: var(--ins-mark); text-decoration: none; }
.diff .sign { user-select: none; color: var(--muted); display: inline-block; width: 1.4em; }
.inputs { font-size: 12px; color: var(--muted); }
.inputs code { color: var(--fg); }
.stderr-title { font-size: 12px; color: var(--muted); margin-top: 6px; }
.skipped-note { margin: 0 12px 10px; color: var(--skip); font-size: 12px; }
`;

/**
 * The report's script: the all/failed filter (kept in the URL as `#all` / `#failed`, so a link
 * can open the failures only), and j/k or ↓/↑ to move the focus between failed steps.
 */
export const REPORT_JS = `
(() => {
  "use strict";
  const scenarios = Array.from(document.querySelectorAll(".scenario"));
  function apply() {
    const filter = location.hash === "#failed" ? "failed" : "all";
    document.body.dataset.filter = filter;
    for (const s of scenarios) s.hidden = filter === "failed" && s.dataset.status !== "failed";
    for (const a of document.querySelectorAll("[data-filter]")) {
      a.setAttribute("aria-current", String(a.dataset.filter === filter));
    }
  }
  window.addEventListener("hashchange", apply);
  apply();
  function failures() {
    return Array.from(document.querySelectorAll(".step.failed")).filter((e) => !e.closest("[hidden]"));
  }
  const moves = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1 };
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const move = moves[event.key];
    if (move === undefined) return;
    const list = failures();
    if (list.length === 0) return;
    const at = list.indexOf(document.activeElement);
    const next = at === -1
      ? list[move > 0 ? 0 : list.length - 1]
      : list[(at + move + list.length) % list.length];
    const details = next.closest("details");
    if (details) details.open = true;
    next.focus();
    next.scrollIntoView({ block: "center" });
    event.preventDefault();
  });
})();
`;
