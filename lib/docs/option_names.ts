/**
 * The names of doctest's option flags (`doctest.OPTIONFLAGS_BY_NAME`), which `--doctest-options`
 * and `doctest_options:` accept, as `python -m doctest -o` does.
 *
 * @module
 */

/** The names `doctest -o` (and `--doctest-options`) accepts. */
export const DOCTEST_OPTION_NAMES: readonly string[] = [
  "DONT_ACCEPT_TRUE_FOR_1",
  "DONT_ACCEPT_BLANKLINE",
  "NORMALIZE_WHITESPACE",
  "ELLIPSIS",
  "SKIP",
  "IGNORE_EXCEPTION_DETAIL",
  "REPORT_UDIFF",
  "REPORT_CDIFF",
  "REPORT_NDIFF",
  "REPORT_ONLY_FIRST_FAILURE",
  "FAIL_FAST",
];
