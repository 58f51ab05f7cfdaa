/**
 * The text of `pyrepl3 --help` and `pyrepl3 --version`.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };

/** The version of this PyREPL3, from deno.json. */
export const VERSION: string = denoJson.version;

/** The `--help` text: usage, every option, the reporter/output mapping, exit codes, examples. */
export const HELP = `pyrepl3 ${VERSION}: run Python scenario files (YAML/JSON) as regression tests.

Usage:
  pyrepl3 [OPTIONS] FILES|DIRS|GLOBS...   run scenarios
  pyrepl3 record FILE.yaml [--python PATH] [--timeout DURATION] [--cwd DIR]
                 [--env KEY=VALUE]... [--hash-seed N|random]
                                          record a scenario from an interactive prompt
                                          (:help there lists its commands)
  pyrepl3 merge-junit OUT.xml IN.xml...   merge the JUnit files of --shard runs into
                                          OUT.xml (- for stdout)
  pyrepl3 merge-reports OUT IN...         merge JSON or HTML reports of --shard runs into
                                          OUT.html or OUT.json (- for JSON on stdout)

A directory stands for every *.yaml, *.yml and *.json file under it (but pyrepl3.yaml
and the JSON reports of earlier runs); quote globs ("scenarios/**/*.yaml") so the shell
leaves them to pyrepl3.

Options:
  -r, --reporter NAME[:FILE]  pretty (default), dot, json, junit, tap, html or github;
                              repeatable. NAME alone writes to stdout, NAME:FILE writes
                              to FILE; html alone writes pyrepl3-report/index.html.
                              github prints ::error annotations for GitHub Actions
                              beside the stdout reporter (added beside pretty on stdout
                              when GITHUB_ACTIONS=true) and appends a Markdown table
                              to $GITHUB_STEP_SUMMARY.
  -o, --output FILE           right after --reporter NAME: write that reporter to FILE
                              (--reporter junit --output report.xml). Repeatable.
  -o, --output NAME=FILE      write reporter NAME to FILE (adds NAME if not given);
                              the same as --reporter NAME:FILE.
  -u, --update                rewrite the expectations of failing steps with what came back
                              (a failure whose file was rewritten does not fail the run; a
                              file edited on disk during the run is left alone)
  -f, --filter REGEX          run only scenarios whose name matches REGEX
  -t, --tag TAG               run only scenarios tagged TAG; repeatable (any of them)
      --timeout DURATION      default timeout of each step: 500ms, 10s, 2m, or seconds
      --python PATH           the Python interpreter (overrides the scenario files)
      --bail                  stop after the first failing scenario
      --watch                 re-run when a scenario, pyrepl3.yaml or Python file
                              changes (failed and changed first); keys: a all,
                              f failed, q quit
      --list                  print the selected scenarios and their files; run nothing
      --docs                  directories also expand to documents: the >>> examples of
                              .md (Python fences), .rst and .txt files, run as doctest
                              runs them, and .ipynb notebooks, cell by cell (files
                              named on the command line always run)
      --doctest-modules       also run the docstring examples of .py modules
      --doctest-options A,B   doctest option flags of every example, as doctest -o:
                              ELLIPSIS, NORMALIZE_WHITESPACE, IGNORE_EXCEPTION_DETAIL,
                              SKIP, FAIL_FAST, DONT_ACCEPT_BLANKLINE, REPORT_NDIFF, ...
      --nb-sanitize           notebooks (.ipynb): normalize memory addresses, ANSI codes
                              and IPython's display forms (default reprs, long
                              containers broken after commas) before comparing
      --nb-images             notebooks: compare images (PNG by pixels) as well as text
  -j, --jobs N                scenarios run at once (default: the number of CPUs)
      --shard I/N             run only the I-th of N equal parts (1 <= I <= N), for CI
      --durations REPORT      with --shard: balance the parts by the durations of a
                              previous run's JSON or JUnit report (--list shows each
                              part's expected time)
      --hash-seed N|random    PYTHONHASHSEED of every interpreter (overrides the files'
                              hash_seed; default 0, so set orders are stable); random
                              picks one for the run and the report shows it
      --color auto|always|never  colours on stdout; auto (default): on a terminal,
                              unless NO_COLOR is set; FORCE_COLOR=1 forces them
      --pass-with-no-tests    exit 0 when nothing is selected (otherwise that fails)
      --ci                    a CI run: refuse --update (so does a CI variable that
                              is set and not 0 or false)
  -h, --help                  show this help
      --version               show the version

Reporters and outputs: each reporter appears at most once; at most one writes to
stdout. When none writes to stdout, pretty does. Colours are used only on a
terminal and never when NO_COLOR is set or when writing to a file.

Exit codes:
  0  every scenario passed
  1  a scenario failed, or no scenario was selected (see --pass-with-no-tests)
  2  bad usage (--update under --ci or CI), an invalid scenario or pyrepl3.yaml
     file (each issue as file:line:column: message), a --python that is no
     Python 3.9+, a report file that cannot be written (the others are), or an
     internal error (its message, with the stack on stderr)
  130, 143  stopped by Ctrl-C (SIGINT) or SIGTERM: no further scenario starts,
     running cells are interrupted, and the reports of what ran are written; a
     second signal exits at once. Files are always written whole (temp + rename).

Examples:
  pyrepl3 scenarios/
  pyrepl3 scenarios/greeting.yaml --reporter dot
  pyrepl3 "scenarios/**/*.yaml" --tag smoke --filter "^math" --jobs 4
  pyrepl3 scenarios/ --reporter pretty --reporter junit:report.xml
  pyrepl3 scenarios/ --reporter pretty --reporter junit --output report.xml
  pyrepl3 scenarios/ --output junit=report.xml --output tap=report.tap
  pyrepl3 scenarios/ --shard 2/4 --bail
  pyrepl3 scenarios/ --shard 1/2 --reporter junit:junit-1.xml   # on one CI machine,
  pyrepl3 scenarios/ --shard 2/2 --reporter junit:junit-2.xml   # on another,
  pyrepl3 merge-junit junit.xml junit-1.xml junit-2.xml         # then merge
  pyrepl3 scenarios/ --update
  pyrepl3 record scenarios/new.yaml

Install:
  deno install -g -A -n pyrepl3 cli.ts
`;
