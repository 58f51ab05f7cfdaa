/**
 * Reading a scenario or config document (YAML or JSON, one parser): the data, and the source
 * map that places every problem at its line and column.
 *
 * @module
 */

import { extname } from "node:path";
import { type Document, LineCounter, parseDocument, visit } from "npm:yaml@2.9.1";
import { ScenarioValidationError, TextFileError } from "./errors.ts";
import { readTextFileStrict } from "./read_text.ts";
import type { SourceMap } from "./validate.ts";

/**
 * The most alias uses a document may expand to (yaml's `maxAliasCount`): a few aliases that
 * each repeat the one before ("billion laughs") would otherwise expand into gigabytes.
 */
export const MAX_ALIAS_COUNT = 100;

/** A parsed document: its plain data (not yet validated) and where each node is. */
export interface ParsedDocument {
  data: unknown;
  source: SourceMap;
}

/**
 * Reads `path` as strict UTF-8 text; an unreadable encoding is the file's validation error.
 *
 * @throws {ScenarioValidationError} for a file that is not UTF-8 text.
 */
export async function readDocumentText(path: string): Promise<string> {
  try {
    return await readTextFileStrict(path);
  } catch (e) {
    if (!(e instanceof TextFileError)) throw e;
    const { line, column, reason: message } = e;
    throw new ScenarioValidationError([{ file: path, line, column, message }]);
  }
}

/**
 * Parses YAML (or JSON, checked strictly when `file` ends in `.json`) into data and a source map.
 *
 * @throws {ScenarioValidationError} for invalid YAML or JSON, with line and column.
 * @example
 * ```ts
 * import { parseDocumentText } from "./document.ts";
 * const { data } = parseDocumentText("steps:\n  - exec: 1\n", "x.yaml");
 * if (!data || typeof data !== "object") throw new Error("parse");
 * ```
 */
export function parseDocumentText(text: string, file: string): ParsedDocument {
  const lineCounter = new LineCounter();
  const json = extname(file).toLowerCase() === ".json";
  if (json) checkJsonSyntax(text, file);
  // Integers as bigints, then back to numbers where exact: a `value` beyond 2^53 stays exact.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, intAsBigInt: true });
  if (doc.errors.length > 0) {
    throw new ScenarioValidationError(doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      // JSON is read as YAML after its syntax check: what is left (duplicate keys) is JSON's.
      const message = `invalid ${json ? "JSON" : "YAML"}: ${e.message}`;
      return { file, line: pos.line, column: pos.col, message };
    }));
  }
  const data = toData(doc, lineCounter, file);
  const source: SourceMap = { doc, lineCounter, file };
  return { data, source };
}

/** The document as plain data; too many alias expansions are the file's error, at its first alias. */
function toData(doc: Document, lineCounter: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT, reviver: exactIntegers });
  } catch (e) {
    let at = 0;
    visit(doc, {
      Alias(_key, node) {
        at = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const { line, col } = lineCounter.linePos(at);
    const message = /alias count/i.test((e as Error).message)
      ? `YAML aliases expand to more than ${MAX_ALIAS_COUNT} copies ("billion laughs"); ` +
        `write the repeated values out`
      : `invalid YAML: ${(e as Error).message}`;
    throw new ScenarioValidationError([{ file, line, column: col, message }]);
  }
}

/** A bigint that a number holds exactly becomes that number; a larger one stays a bigint. */
function exactIntegers(_key: unknown, value: unknown): unknown {
  return typeof value === "bigint" && Number.isSafeInteger(Number(value)) ? Number(value) : value;
}

function checkJsonSyntax(text: string, file: string): void {
  try {
    JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    let line = 1, column = 1;
    const lc = /line (\d+) column (\d+)/.exec(message);
    const pos = /position (\d+)/.exec(message);
    if (lc) [line, column] = [Number(lc[1]), Number(lc[2])];
    else if (pos) {
      const before = text.slice(0, Number(pos[1])).split("\n");
      [line, column] = [before.length, before[before.length - 1].length + 1];
    }
    const what = message.replace(/\s*(in JSON )?at position \d+.*$/, "").replace(
      /\s*\(line.*\)$/,
      "",
    );
    throw new ScenarioValidationError([{ file, line, column, message: `invalid JSON: ${what}` }]);
  }
}
