/**
 * Whether an interpreter can import a module, asked once when a test file loads, so that a test
 * can be skipped (`ignore:`) with a printed reason when an optional package is missing.
 *
 * @module
 */

/** True when `python -c "import <module>"` succeeds. */
export function pythonHas(python: string, module: string): boolean {
  try {
    return new Deno.Command(python, {
      args: ["-c", `import ${module}`],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false; // no such interpreter
  }
}

/** `pythonHas`, printing why the tests that need the module are skipped when it is missing. */
export function requirePython(python: string, module: string, why: string): boolean {
  const has = pythonHas(python, module);
  if (!has) console.log(`skipping ${why}: ${python} cannot import ${module}`);
  return has;
}
