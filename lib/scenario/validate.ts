/**
 * Checks a parsed scenario document against `schema.json` and turns ajv's errors into one
 * readable issue each, placed at the line and column of the offending key or value.
 *
 * ajv reports every failed branch of a `oneOf`; a person wants one sentence. So a failed
 * `oneOf`/`anyOf` becomes either "unknown key (did you mean ...)", the errors of the one branch
 * whose keys the value uses, or "expected <title>: <description>".
 *
 * @module
 */

import { Ajv, type ErrorObject } from "npm:ajv@8.20.0";
import { closest, distance } from "npm:fastest-levenshtein@1.0.16";
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  type LineCounter,
  type Node,
} from "npm:yaml@2.9.1";
import schema from "./schema.json" with { type: "json" };
import type { ScenarioIssue } from "./errors.ts";
import { DOCTEST_OPTION_NAMES } from "../docs/option_names.ts";

type SchemaObject = {
  title?: string;
  description?: string;
  properties?: Record<string, unknown>;
  type?: string;
};

const STEP_KINDS = ["exec", "checkpoint", "restore", "commit", "rollback", "restart"];
const definitions = schema.definitions as Record<string, SchemaObject>;
const STEP_KEYS = [
  ...new Set(STEP_KINDS.flatMap((k) => Object.keys(definitions[`${k}Step`].properties ?? {}))),
];

const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
const validateSchema = ajv.compile(schema);

/** The keys a project config file (`pyrepl3.yaml`) shares with scenario files. */
const CONFIG_KEYS = [
  "$schema",
  "python",
  "cwd",
  "env",
  "timeout",
  "normalize",
  "hash_seed",
  "limits",
];

/**
 * The schema of a project config file: the scenario keys that make sense as defaults, and
 * `setup:`, steps run at the start of every scenario under it. Same definitions, same messages.
 */
export const configSchema: Readonly<Record<string, unknown>> = {
  ...schema,
  title: "PyREPL3 project config",
  description: "Defaults for every scenario file in this directory and below it.",
  required: [],
  properties: {
    ...Object.fromEntries(
      CONFIG_KEYS.map((key) => [key, (schema.properties as Record<string, unknown>)[key]]),
    ),
    setup: {
      type: "array",
      items: { $ref: "#/definitions/step" },
      description: "Steps run in the main session at the start of every scenario under this file.",
    },
    docs: {
      type: "boolean",
      description:
        "A directory under this file expands to documents too (.md, .rst, .txt), as --docs.",
    },
    doctest_options: {
      // A list, or the names joined by commas as `doctest -o` and --doctest-options take them.
      type: ["array", "string"],
      items: { enum: DOCTEST_OPTION_NAMES },
      description: "doctest option flags of every document example under this file, as doctest -o.",
    },
  },
};
const validateConfigSchema = ajv.compile(configSchema);

/** The scenario JSON Schema (draft-07), as shipped in `lib/scenario/schema.json`. */
export const scenarioSchema: Readonly<Record<string, unknown>> = schema;

/** Where to report a problem: the document, its line counter and the file name. */
export interface SourceMap {
  doc: Document;
  lineCounter: LineCounter;
  file: string;
}

/**
 * Validates `data` (the document as plain JS) against the scenario schema (or, with `kind`
 * `"config"`, the project config schema); returns the problems found.
 *
 * @example
 * ```ts
 * import { LineCounter, parseDocument } from "npm:yaml@2.9.1";
 * import { validateAgainstSchema } from "./validate.ts";
 * const lineCounter = new LineCounter();
 * const doc = parseDocument("steps:\n  - exec: 1\n    expext: {}\n", { lineCounter });
 * validateAgainstSchema(doc.toJS(), { doc, lineCounter, file: "x.yaml" });
 * // [{ file: "x.yaml", line: 3, column: 5, message: "unknown key 'expext' (did you mean 'expect'?)" }]
 * ```
 */
export function validateAgainstSchema(
  data: unknown,
  source: SourceMap,
  kind: "scenario" | "config" = "scenario",
): ScenarioIssue[] {
  const validate = kind === "config" ? validateConfigSchema : validateSchema;
  if (validate(data)) return [];
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== "if");
  const issues: ScenarioIssue[] = [];
  const seen = new Set<string>();
  for (const { error, message, keyNode } of explain(errors)) {
    const path = pointerToPath(error.instancePath);
    const at = keyNode === undefined
      ? locate(source, path)
      : locateKey(source, path, keyNode) ?? locate(source, path);
    const issue = { file: source.file, ...at, message };
    const id = `${issue.line}:${issue.column}:${message}`;
    if (!seen.has(id)) issues.push(issue);
    seen.add(id);
  }
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}

interface Explained {
  error: ErrorObject;
  message: string;
  /** Report at this key of the object at `instancePath` instead of the object itself. */
  keyNode?: string;
}

function explain(errors: ErrorObject[]): Explained[] {
  const remaining = new Set(errors);
  const out: Explained[] = [];
  const composites = errors
    .filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf")
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const c of composites) {
    if (!remaining.has(c)) continue;
    remaining.delete(c);
    const children = errors.filter((e) => remaining.has(e) && isUnder(e, c));
    for (const e of children) remaining.delete(e);
    const branches = (c.schema as SchemaObject[]) ?? [];
    const parent = c.parentSchema as SchemaObject;
    const data = c.data;
    const isStep = parent.title === "a step";
    if (isPlainObject(data)) {
      const known = isStep ? STEP_KEYS : [
        ...new Set(branches.flatMap((b) => Object.keys(b.properties ?? {}))),
      ];
      const unknown = Object.keys(data).filter((k) => !known.includes(k));
      if (unknown.length > 0) {
        for (const k of unknown) {
          out.push({ error: c, message: unknownKey(k, known), keyNode: k });
        }
        continue;
      }
      const fitting = branches
        .map((b, i) => ({ b, i }))
        .filter(({ b }) => b.properties && Object.keys(data).every((k) => k in b.properties!));
      // Several branches may fit ({prompt} alone fits {prompt, reply} and {prompt, reply_env}):
      // the first, the usual form, explains what is missing.
      if (fitting.length >= 1 && !isStep) {
        const prefix = `${c.schemaPath}/${fitting[0].i}/`;
        for (const e of children) if (e.schemaPath.startsWith(prefix)) remaining.add(e);
        continue;
      }
    }
    const what = isStep
      ? `a step needs exactly one of the keys ${STEP_KINDS.join(", ")}`
      : `expected ${parent.title ?? branches.map((b) => b.title).join(" or ")}` +
        (parent.description ? ` (${parent.description})` : "") + `, got ${show(data)}`;
    out.push({ error: c, message: `${keyLabel(c)}${what}` });
  }
  for (const e of errors) if (remaining.has(e)) out.push(explainLeaf(e));
  return out;
}

function explainLeaf(e: ErrorObject): Explained {
  const parent = e.parentSchema as SchemaObject;
  const label = keyLabel(e);
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(e.params.additionalProperty);
      return {
        error: e,
        message: unknownKey(key, Object.keys(parent.properties ?? {})),
        keyNode: key,
      };
    }
    case "required":
      return { error: e, message: `missing required key '${e.params.missingProperty}'` };
    case "type":
      return {
        error: e,
        message: `${label}expected ${article(String(e.params.type))}, got ${show(e.data)}`,
      };
    case "enum": {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const guess = typeof e.data === "string" ? suggestion(e.data, allowed) : "";
      return {
        error: e,
        message: `${label}expected one of ${allowed.join(", ")}, got ${show(e.data)}${guess}`,
      };
    }
    case "const":
      return {
        error: e,
        message: `${label}expected ${show(e.params.allowedValue)}, got ${show(e.data)}`,
      };
    case "minLength":
    case "minItems":
      return { error: e, message: `${label}must not be empty` };
    case "uniqueItems":
      return { error: e, message: `${label}must not repeat an item` };
    default:
      return { error: e, message: `${label}${e.message ?? "is invalid"}` };
  }
}

function isUnder(e: ErrorObject, c: ErrorObject): boolean {
  const samePlace = e.instancePath === c.instancePath ||
    e.instancePath.startsWith(`${c.instancePath}/`);
  return samePlace && e.schemaPath.startsWith(`${c.schemaPath}/`);
}

function unknownKey(key: string, known: string[]): string {
  const guess = suggestion(key, known);
  return guess
    ? `unknown key '${key}'${guess}`
    : `unknown key '${key}' (expected one of ${known.join(", ")})`;
}

function suggestion(word: string, candidates: string[]): string {
  if (candidates.length === 0) return "";
  const best = closest(word, candidates);
  const limit = Math.max(2, Math.floor(best.length / 3));
  return distance(word, best) <= limit ? ` (did you mean '${best}'?)` : "";
}

function keyLabel(e: ErrorObject): string {
  const path = pointerToPath(e.instancePath);
  if (path.length === 0) return "";
  return `'${path.map((p, i) => typeof p === "number" ? `[${p}]` : i ? `.${p}` : p).join("")}': `;
}

function article(type: string): string {
  if (type.includes(",")) return type.split(",").map(article).join(" or "); // type: [a, b]
  if (type === "array" || type === "object" || type === "integer") return `an ${type}`;
  return `a ${type}`;
}

function show(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return JSON.stringify(value);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Splits a JSON pointer into keys and indexes. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map((s) => {
    const key = s.replaceAll("~1", "/").replaceAll("~0", "~");
    return /^\d+$/.test(key) ? Number(key) : key;
  });
}

/** The line and column of the node at `path`, or of its nearest existing ancestor. */
export function locate(
  source: SourceMap,
  path: (string | number)[],
): { line: number; column: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = source.doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node && typeof node === "object" && node.range) return position(source, node.range[0]);
  }
  return { line: 1, column: 1 };
}

function locateKey(
  source: SourceMap,
  path: (string | number)[],
  key: string,
): { line: number; column: number } | undefined {
  const node = path.length ? source.doc.getIn(path, true) : source.doc.contents;
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (isPair(pair) && isScalar(pair.key) && pair.key.value === key && pair.key.range) {
      return position(source, pair.key.range[0]);
    }
  }
  return undefined;
}

function position(source: SourceMap, offset: number): { line: number; column: number } {
  const { line, col } = source.lineCounter.linePos(offset);
  return { line, column: col };
}
