/**
 * The HTML report in a real browser: headless Chromium (Debian's `chromium`, installed by
 * .ci/run) runs the page's script, and the DOM it dumps is checked.
 */
import { equal, match, ok } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
if (!hasChromium) {
  console.log(
    `report_html_browser_test: skipped: ${CHROMIUM} is absent (apt-get install chromium)`,
  );
}

/** Runs headless Chromium on `url` with `extra` flags; returns its stdout. */
async function chromium(profile: string, extra: string[], url: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--hide-scrollbars",
      `--user-data-dir=${profile}`,
      ...extra,
      url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  equal(code, 0, decoder.decode(stderr));
  return decoder.decode(stdout);
}

Deno.test({
  name: "in Chromium the report shows the failure, its diff and file:line; #failed hides passes",
  ignore: !hasChromium,
  async fn() {
    const dir = await tempScenarios({
      "ok.yaml": `name: passing greeting\nsteps:\n  - exec: print('hi')\n    expect:\n` +
        `      stdout: "hi\\n"\n`,
      "bad.yaml": `name: failing sum\nsteps:\n  - exec: x = 40\n  - exec: |\n` +
        `      for i in range(3):\n          print(i * x)\n    expect:\n` +
        `      stdout: "0\\n40\\n81\\n"\n`,
    });
    const run = await runCli(["ok.yaml", "bad.yaml", "--reporter", "html"], { cwd: dir });
    equal(run.code, 1, run.stderr);
    const page = `file://${dir}/pyrepl3-report/index.html`;

    const all = await chromium(`${dir}/profile`, ["--dump-dom"], page);
    const failed = /<section class="scenario failed"[^>]*>[\s\S]*?<\/section>/.exec(all)?.[0];
    ok(failed, "the failing scenario is in the page");
    ok(!/<section class="scenario failed"[^>]*hidden/.test(all));
    match(failed, /<details open="">/); // a failure is shown unfolded
    match(failed, /bad\.yaml:4/);
    match(failed, /stdout: stdout differs/);
    match(failed, /<span class="line del"><span class="sign">-<\/span>8<del>1<\/del>/);
    match(failed, /<span class="line ins"><span class="sign">\+<\/span>8<ins>0<\/ins>/);
    match(all, /<section class="scenario passed"[^>]*data-status="passed"[^>]*>/);
    ok(!/<section class="scenario passed"[^>]*hidden/.test(all), "#all shows the passes");

    const onlyFailed = await chromium(`${dir}/profile`, ["--dump-dom"], `${page}#failed`);
    match(onlyFailed, /<section class="scenario passed"[^>]*hidden=""/);
    ok(!/<section class="scenario failed"[^>]*hidden/.test(onlyFailed));
    match(onlyFailed, /<a href="#failed" data-filter="failed" aria-current="true">/);

    // Kept after the test, for the CI log; everything else is removed.
    const shots = Deno.env.get("PYREPL3_SCREENSHOT_DIR") ??
      await Deno.makeTempDir({ prefix: "pyrepl3_screenshot_" });
    const shot = `${shots}/html_report.png`;
    await chromium(`${dir}/profile`, [`--screenshot=${shot}`, "--window-size=1200,900"], page);
    ok((await Deno.stat(shot)).size > 1000);
    console.log(`report_html_browser_test: screenshot of the HTML report: ${shot}`);
    await Deno.remove(dir, { recursive: true });
  },
});
