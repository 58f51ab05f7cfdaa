/**
 * The environment a keeper (and so every interpreter forked from it) starts with.
 *
 * @module
 */
import { CHECKPOINT_KEY_ENV } from "./checkpoint_key.ts";

/** Which of Deno's variables an interpreter inherits, and what it adds. */
export interface EnvironmentOptions {
  /** Variables added to (or overriding) the inherited ones. */
  env?: Record<string, string>;
  /** Inherit every variable (true, the default), none (false), or only the listed names. */
  inheritEnv?: boolean | string[];
}

/**
 * The `env`/`clearEnv` pair for `Deno.Command`. The checkpoint key never reaches Python: code in the
 * session could read it and sign a checkpoint of its own making.
 */
export function keeperEnvironment(
  options: EnvironmentOptions,
): { env: Record<string, string>; clearEnv: true } {
  const inherit = options.inheritEnv ?? true;
  let kept: Record<string, string> = {};
  if (inherit === true) kept = Deno.env.toObject();
  else if (Array.isArray(inherit)) {
    for (const name of inherit) {
      const value = Deno.env.get(name);
      if (value !== undefined) kept[name] = value;
    }
  }
  delete kept[CHECKPOINT_KEY_ENV];
  return { env: { ...kept, ...options.env }, clearEnv: true };
}
