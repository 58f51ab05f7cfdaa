/**
 * Issue 16, as an outsider checks it: `--update` never writes an expected output that doctest would
 * read otherwise than it was printed. Before the fix, each of these was written and broke the
 * document: a tab (doctest expands the document's tabs, so the example still failed), an empty line
 * under DONT_ACCEPT_BLANKLINE (the rest of the output became prose), and a first line `   ...x`
 * (an indented `...` is a continuation line to doctest: the file no longer parsed).
 */
import { equal, match, ok } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

Deno.test("--update leaves alone, saying why, the outputs doctest would read otherwise; a tab under NORMALIZE_WHITESPACE is written", async () => {
  const text = [
    '>>> print("   ...x")',
    "wrong",
    '>>> print("a\\n\\nb")  # doctest: +DONT_ACCEPT_BLANKLINE',
    "a",
    '>>> print("t\\tx")',
    "t x",
    '>>> print("t\\tx")  # doctest: +NORMALIZE_WHITESPACE',
    "u x",
    "",
  ].join("\n");
  const dir = await tempScenarios({ "doc.txt": text });
  try {
    const updated = await runCli([`${dir}/doc.txt`, "--update", "--python", TEST_PYTHON]);
    equal(updated.code, 1, updated.stdout + updated.stderr);
    match(
      updated.stderr,
      /doc\.txt:1: cannot update this example: doctest would read its output as source/,
    );
    match(updated.stderr, /doc\.txt:3: cannot update this example: it printed an empty line/);
    match(updated.stderr, /doc\.txt:5: cannot update this example: its output holds a tab/);
    const after = await Deno.readTextFile(`${dir}/doc.txt`);
    equal(after, text.replace("u x", "t\tx"));
    // The file still parses, and the example written passes, for doctest itself too.
    const doctest = await new Deno.Command(TEST_PYTHON, {
      args: ["-m", "doctest", `${dir}/doc.txt`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const report = new TextDecoder().decode(doctest.stdout);
    ok(report.includes("3 of   4"), report + new TextDecoder().decode(doctest.stderr));
    const again = await runCli([`${dir}/doc.txt`, "--reporter", "json", "--python", TEST_PYTHON]);
    const steps = JSON.parse(again.stdout).scenarios[0].steps;
    equal(
      steps.map((s: { line: number; status: string }) => `${s.line}:${s.status}`).join(" "),
      "1:failed 3:failed 5:failed 7:passed",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyrepl3.yaml doctest_options: takes a list, or the names joined by commas as doctest -o; a bad name is refused at its line", async () => {
  const doc = ">>> list(range(20))\n[0,  1, ..., 19]\n";
  for (const options of ["[ELLIPSIS, NORMALIZE_WHITESPACE]", "ELLIPSIS,NORMALIZE_WHITESPACE"]) {
    const dir = await tempScenarios({
      "doc.txt": doc,
      "pyrepl3.yaml": `docs: true\ndoctest_options: ${options}\n`,
    });
    try {
      const run = await runCli([dir, "--python", TEST_PYTHON]);
      equal(run.code, 0, run.stdout + run.stderr);
      match(run.stdout, /1 scenario: 1 passed/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  const dir = await tempScenarios({
    "doc.txt": doc,
    "pyrepl3.yaml": "docs: true\ndoctest_options: ELLIPSIS, ELIPSIS\n",
  });
  try {
    const run = await runCli([dir, "--python", TEST_PYTHON]);
    equal(run.code, 2, run.stdout + run.stderr);
    match(run.stderr, /pyrepl3\.yaml:2:\d+: unknown doctest option "ELIPSIS"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a directory skips Python environments (pyvenv.cfg, conda-meta): their JSON files and modules are no tests", async () => {
  const dir = await tempScenarios({
    "s.yaml": 'name: s\nsteps:\n  - exec: "1"\n',
    "mod.py": '"""\n>>> 1\n1\n"""\n',
  });
  try {
    for (const env of ["venv", "env2"]) {
      await Deno.mkdir(`${dir}/${env}/lib/site-packages/pkg`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${env}/lib/site-packages/pkg/data.json`, '{"a": 1}\n');
      await Deno.writeTextFile(`${dir}/${env}/lib/site-packages/pkg/m.py`, '"""\n>>> 2\n2\n"""\n');
    }
    await Deno.writeTextFile(`${dir}/venv/pyvenv.cfg`, "home = /usr/bin\n");
    await Deno.mkdir(`${dir}/env2/conda-meta`);
    const listed = await runCli([".", "--list", "--docs", "--doctest-modules"], { cwd: dir });
    equal(listed.code, 0, listed.stdout + listed.stderr);
    equal(listed.stdout, "mod  mod.py\ns    s.yaml\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--nb-images: the saved images go to a directory of the user's own, or a fresh one when that name is taken", async () => {
  const notebook = new URL("./fixtures/notebooks/display.ipynb", import.meta.url).pathname;
  const tmp = await Deno.makeTempDir({ prefix: "pyrepl3_tmpdir_" });
  try {
    // Taken by a file (the images directory of before was one fixed name: 'File exists' ended the run).
    await Deno.writeTextFile(`${tmp}/pyrepl3-notebook-images-${Deno.uid()}`, "");
    const taken = await runCli([notebook, "--nb-images", "--python", TEST_PYTHON], {
      env: { TMPDIR: tmp },
    });
    equal(taken.code, 0, taken.stdout + taken.stderr);
    await Deno.remove(`${tmp}/pyrepl3-notebook-images-${Deno.uid()}`);
    const own = await runCli([notebook, "--nb-images", "--python", TEST_PYTHON], {
      env: { TMPDIR: tmp },
    });
    equal(own.code, 0, own.stdout + own.stderr);
    const info = await Deno.lstat(`${tmp}/pyrepl3-notebook-images-${Deno.uid()}`);
    ok(info.isDirectory);
    equal(info.mode! & 0o777, 0o700, "private to the user");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("--doctest-modules: a module that writes to file descriptor 1 as it is imported (C code, a child process) is read", async () => {
  const dir = await tempScenarios({
    "noisy.py": [
      "import os, subprocess",
      'os.write(1, b"from C code\\n")',
      'subprocess.run(["echo", "from a child"])',
      "def f():",
      '    """',
      "    >>> f()",
      "    1",
      '    """',
      "    return 1",
      "",
    ].join("\n"),
  });
  try {
    // Finding the examples read fd 1 as the answer: 'finding the examples failed (python3 exited with 0)'.
    const run = await runCli(["noisy.py", "--doctest-modules", "--python", TEST_PYTHON], {
      cwd: dir,
    });
    equal(run.code, 0, run.stdout + run.stderr);
    match(run.stdout, /1 scenario: 1 passed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("notebook: nbval's nbval-raises-exception tag is raises-exception", async () => {
  const cell = (tags: string[]) => ({
    cell_type: "code",
    execution_count: 1,
    metadata: { tags },
    source: ["1 / 0"],
    outputs: [{
      output_type: "error",
      ename: "ZeroDivisionError",
      evalue: "division by zero",
      traceback: [],
    }],
  });
  const notebook = (tags: string[]) =>
    JSON.stringify({ cells: [cell(tags)], metadata: {}, nbformat: 4, nbformat_minor: 5 }, null, 1);
  const dir = await tempScenarios({
    "nbval.ipynb": notebook(["nbval-raises-exception"]),
    "untagged.ipynb": notebook([]),
  });
  try {
    const tagged = await runCli(["nbval.ipynb", "--python", TEST_PYTHON], { cwd: dir });
    equal(tagged.code, 0, tagged.stdout + tagged.stderr);
    const untagged = await runCli(["untagged.ipynb", "--python", TEST_PYTHON], { cwd: dir });
    equal(untagged.code, 1, untagged.stdout + untagged.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a '# pyrepl3:' inside a string literal is no directive; one in a comment after it is", async () => {
  const dir = await tempScenarios({
    "doc.txt": [
      '>>> print("see # pyrepl3: restart")',
      "see # pyrepl3: restart",
      '>>> s = """',
      "... # pyrepl3: bogus",
      '... """',
      '>>> r"\\" # pyrepl3: restart"',
      "'\\\\\" # pyrepl3: restart'",
      '>>> x = input("# pyrepl3: ")  # pyrepl3: inputs=["a"]',
      "# pyrepl3: ",
      ">>> x",
      "'a'",
      "",
    ].join("\n"),
  });
  try {
    // Each string's '# pyrepl3:' was read as a directive: exit 2, "cannot read the directive".
    const run = await runCli(["doc.txt", "--python", TEST_PYTHON], { cwd: dir });
    equal(run.code, 0, run.stdout + run.stderr);
    match(run.stdout, /1 scenario: 1 passed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--update of a document saved with CR line endings (as Python reads them) writes it, CRs kept", async () => {
  const dir = await tempScenarios({ "cr.txt": '>>> 1 + 1\r3\r>>> print("x")\rx\r>>> 2\r5' });
  try {
    // The example was not found in the text: 'cr.txt changed on disk since it was read'.
    const updated = await runCli(["cr.txt", "--update", "--python", TEST_PYTHON], { cwd: dir });
    equal(updated.code, 0, updated.stdout + updated.stderr);
    equal(await Deno.readTextFile(`${dir}/cr.txt`), '>>> 1 + 1\r2\r>>> print("x")\rx\r>>> 2\r2');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
