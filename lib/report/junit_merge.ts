/**
 * Merges the JUnit reports of CI shards (`--shard I/N --reporter junit:FILE`) into one.
 *
 * Testsuites with the same `name` become one, their testcases sorted by `classname` then `name`
 * so the result does not depend on the order of the inputs; every count and time is recomputed
 * from the testcases, whose children (failure, skipped, system-out...) are kept as they were.
 *
 * @module
 */

import { type X2jOptions, XMLBuilder, XMLParser, XMLValidator } from "npm:fast-xml-parser@5.12.1";
import { PyReplError } from "../errors.ts";
import { toSeconds } from "./_format.ts";
import { escapeAttribute, escapeText } from "./junit.ts";

/** A JUnit document could not be read, or two documents hold the same testcase. */
export class JunitMergeError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "JunitMergeError";
}

/** How {@linkcode mergeJunit} names its inputs in error messages. */
export interface MergeJunitOptions {
  /** One name per document (its file name). Default `input 1`, `input 2`... */
  names?: string[];
}

/**
 * Merges JUnit XML documents into one JUnit XML document.
 *
 * Each document's root is `<testsuites>` (or a lone `<testsuite>`). Same-named testsuites are
 * combined; `tests`, `failures`, `errors`, `skipped` and `time` of each testsuite and of the root
 * are recomputed from the testcases (`time` is their sum); any other attribute that differs
 * between inputs (`timestamp`, `hostname`...) takes its smallest value, so the earliest ISO
 * timestamp.
 *
 * @throws {JunitMergeError} when a document is not well-formed XML or not JUnit, or when the same
 * testcase (`classname` and `name`) is in two documents: shards must be disjoint.
 * @example
 * ```ts
 * import { mergeJunit } from "./junit_merge.ts";
 * const shard = (name: string) =>
 *   `<testsuites><testsuite name="s"><testcase classname="a.yaml" name="${name}" time="0.5"/>` +
 *   `</testsuite></testsuites>`;
 * const xml = mergeJunit([shard("b"), shard("a")]);
 * if (!xml.includes('<testsuite name="s" tests="2" failures="0" errors="0" skipped="0" time="1.000">')) {
 *   throw new Error(xml);
 * }
 * ```
 */
export function mergeJunit(documents: string[], options: MergeJunitOptions = {}): string {
  const names = documents.map((_, i) => options.names?.[i] ?? `input ${i + 1}`);
  const roots: Attributes[] = [];
  const suites = new Map<string, MergedSuite>();
  const seen = new Map<string, number>();
  documents.forEach((text, input) => {
    const { root, testsuites } = readDocument(text, names[input]);
    if (root !== undefined) roots.push(root);
    for (const suite of testsuites) {
      const attributes = attributesOf(suite);
      const name = attributes.name ?? "";
      const merged = suites.get(name) ?? { attributes: [], testcases: [], others: [] };
      suites.set(name, merged);
      merged.attributes.push(attributes);
      for (const child of elementChildren(suite)) {
        if (tagOf(child) !== "testcase") {
          merged.others.push(child);
          continue;
        }
        const testcase = readTestcase(child);
        const key = `${testcase.classname}\0${testcase.name}`;
        const first = seen.get(key);
        if (first !== undefined && first !== input) {
          throw new JunitMergeError(
            `testcase ${JSON.stringify(testcase.name)} (classname ${
              JSON.stringify(testcase.classname)
            }) is in both ${names[first]} and ${names[input]}; the shards must be disjoint`,
          );
        }
        seen.set(key, input);
        merged.testcases.push(testcase);
      }
    }
  });
  const suiteNodes = [...suites.keys()].sort(compare).map((name) => {
    const suite = suites.get(name)!;
    suite.testcases.sort((a, b) => compare(a.classname, b.classname) || compare(a.name, b.name));
    const others = unique(suite.others);
    const children = [
      ...others.filter((node) => tagOf(node) === "properties"),
      ...suite.testcases.map((testcase) => testcase.node),
      ...others.filter((node) => tagOf(node) !== "properties"),
    ];
    return element("testsuite", totals(suite.attributes, suite.testcases), children);
  });
  const testcases = [...suites.values()].flatMap((suite) => suite.testcases);
  const root = element("testsuites", totals(roots, testcases), suiteNodes);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${BUILDER.build([root]).trimStart()}\n`;
}

/** A parsed node in fast-xml-parser's `preserveOrder` shape: `{ tag: children, ":@": attributes }`. */
type XmlNode = Record<string, unknown>;
type Attributes = Record<string, string>;

interface Testcase {
  classname: string;
  name: string;
  node: XmlNode;
  outcome: { failure: boolean; error: boolean; skipped: boolean };
  timeMs: number;
}

interface MergedSuite {
  /** The attributes of every input testsuite of this name. */
  attributes: Attributes[];
  testcases: Testcase[];
  /** Children other than testcases (properties, system-out...). */
  others: XmlNode[];
}

const XML_OPTIONS = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
} as const;

// Text as written (no trimming, no number parsing), entities and character references decoded.
const PARSER_OPTIONS: Partial<X2jOptions> = {
  ...XML_OPTIONS,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  htmlEntities: true,
};

// The builder escapes exactly like formatJunit does (control characters made visible, line
// breaks in attributes as references so no parser folds them to spaces).
const BUILDER = new XMLBuilder({
  ...XML_OPTIONS,
  format: true,
  indentBy: "  ",
  suppressEmptyNode: true,
  processEntities: false,
  tagValueProcessor: (_name: string, value: unknown) => escapeText(String(value)),
  attributeValueProcessor: (_name: string, value: unknown) => escapeAttribute(String(value)),
});

/** The root's attributes (none for a lone `<testsuite>`) and the testsuites of one document. */
function readDocument(
  text: string,
  name: string,
): { root?: Attributes; testsuites: XmlNode[] } {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    const where = [name, line, col].filter((part) => part !== undefined).join(":");
    throw new JunitMergeError(`${where}: not well-formed XML: ${msg}`);
  }
  let nodes: unknown;
  try {
    nodes = new XMLParser(PARSER_OPTIONS).parse(text);
  } catch (error) {
    throw new JunitMergeError(`${name}: cannot parse: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const top = Array.isArray(nodes) ? nodes.filter(isElement) : [];
  if (top.length === 0) {
    throw new JunitMergeError(`${name}: no root element; expected <testsuites>`);
  }
  const root = top[0];
  switch (tagOf(root)) {
    case "testsuites":
      return {
        root: attributesOf(root),
        testsuites: elementChildren(root).filter((node) => tagOf(node) === "testsuite"),
      };
    case "testsuite":
      return { testsuites: [root] };
    default:
      throw new JunitMergeError(
        `${name}: the root element is <${tagOf(root)}>; expected a JUnit <testsuites>`,
      );
  }
}

function readTestcase(node: XmlNode): Testcase {
  const attributes = attributesOf(node);
  const tags = new Set(elementChildren(node).map(tagOf));
  const seconds = Number(attributes.time);
  return {
    classname: attributes.classname ?? "",
    name: attributes.name ?? "",
    node: withoutLayout(node),
    outcome: {
      failure: tags.has("failure"),
      error: tags.has("error"),
      skipped: tags.has("skipped"),
    },
    timeMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0,
  };
}

/** The merged attributes: name, the recomputed counts and time, then the others. */
function totals(inputs: Attributes[], testcases: Testcase[]): Attributes {
  const count = (key: keyof Testcase["outcome"]) =>
    String(testcases.filter((testcase) => testcase.outcome[key]).length);
  const computed: Attributes = {
    tests: String(testcases.length),
    failures: count("failure"),
    errors: count("error"),
    skipped: count("skipped"),
    time: toSeconds(testcases.reduce((sum, testcase) => sum + testcase.timeMs, 0)),
  };
  const others: Attributes = {};
  for (const attributes of inputs) {
    for (const [key, value] of Object.entries(attributes)) {
      if (key in computed) continue;
      if (others[key] === undefined || compare(value, others[key]) < 0) others[key] = value;
    }
  }
  const { name, timestamp, ...rest } = others;
  const sortedRest = Object.fromEntries(
    Object.entries(rest).sort(([a], [b]) => compare(a, b)),
  );
  return {
    ...(name === undefined ? {} : { name }),
    ...computed,
    ...(timestamp === undefined ? {} : { timestamp }),
    ...sortedRest,
  };
}

function element(tag: string, attributes: Attributes, children: XmlNode[]): XmlNode {
  return { [tag]: children, ":@": attributes };
}

function isElement(node: unknown): node is XmlNode {
  return typeof node === "object" && node !== null && tagOf(node as XmlNode) !== "#text";
}

function tagOf(node: XmlNode): string {
  return Object.keys(node).find((key) => key !== ":@") ?? "#text";
}

function childrenOf(node: XmlNode): unknown[] {
  const children = node[tagOf(node)];
  return Array.isArray(children) ? children : [];
}

function elementChildren(node: XmlNode): XmlNode[] {
  return childrenOf(node).filter(isElement);
}

function attributesOf(node: XmlNode): Attributes {
  const attributes = node[":@"];
  if (typeof attributes !== "object" || attributes === null) return {};
  return Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, String(value)]));
}

/**
 * The node with the indentation between its elements removed (the builder indents anew); text
 * is kept wherever an element has no element children, or is more than whitespace.
 */
function withoutLayout(node: XmlNode): XmlNode {
  const children = childrenOf(node);
  const hasElements = children.some(isElement);
  const kept = children.flatMap((child) => {
    if (isElement(child)) return [withoutLayout(child)];
    const text = (child as XmlNode)["#text"];
    return hasElements && typeof text === "string" && text.trim() === "" ? [] : [child];
  });
  return { ...node, [tagOf(node)]: kept };
}

/** The nodes without exact repeats (the same `<properties>` in every shard's testsuite). */
function unique(nodes: XmlNode[]): XmlNode[] {
  const seen = new Set<string>();
  return nodes.map(withoutLayout).filter((node) => {
    const key = JSON.stringify(node);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Code-unit order: the same result in every locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
