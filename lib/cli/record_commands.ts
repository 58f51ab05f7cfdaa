/**
 * The `:` commands of the `record` prompt, parsed: `:help`, `:undo`, `:checkpoint NAME`,
 * `:restore NAME`, `:rollback`, `:quit`.
 *
 * @module
 */

/** A `:` command typed at the `>>> ` prompt. */
export type PromptCommand =
  | { kind: "help" }
  | { kind: "undo" }
  | { kind: "checkpoint"; name: string }
  | { kind: "restore"; name: string }
  | { kind: "rollback" }
  | { kind: "quit" }
  | { kind: "bad"; message: string };

/** What `:help` prints. */
export const PROMPT_HELP = `Each entry runs and is recorded as a step expecting what came back.
  :help              this list
  :undo              drop the last recorded step (what it did stays in the session)
  :checkpoint NAME   save the namespace as NAME (a checkpoint step)
  :restore NAME      put back the namespace saved as NAME (a restore step)
  :rollback          run the next entry under rollback_always: its changes are undone
  :quit              write the file and replay it (so do exit, quit and Ctrl-D)
Ctrl-C cancels the line typed, or interrupts running code (recorded with interrupt_after).
`;

/**
 * The command `line` names, or undefined when it is Python (it does not start with `:`).
 *
 * @example
 * ```ts
 * import { parsePromptCommand } from "./record_commands.ts";
 * const command = parsePromptCommand(":checkpoint before");
 * if (command?.kind !== "checkpoint" || command.name !== "before") throw new Error("parse");
 * ```
 */
export function parsePromptCommand(line: string): PromptCommand | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith(":")) return undefined;
  const [word, ...rest] = trimmed.slice(1).split(/\s+/);
  const name = rest.join(" ");
  switch (word) {
    case "help":
    case "undo":
    case "rollback":
    case "quit":
      return rest.length === 0 ? { kind: word } : bad(`:${word} takes no argument`);
    case "checkpoint":
    case "restore":
      return name === "" ? bad(`:${word} needs a name: :${word} NAME`) : { kind: word, name };
    default:
      return bad(`unknown command :${word}; :help lists them`);
  }
}

function bad(message: string): PromptCommand {
  return { kind: "bad", message };
}
