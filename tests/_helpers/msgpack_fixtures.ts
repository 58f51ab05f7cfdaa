/**
 * Values shared by @msgpack/msgpack and runner/msgpack.py, used to prove the two codecs agree
 * byte for byte (tests/msgpack_codec_test.ts). Each fixture pairs a JS value with a Python
 * expression for the same value, and covers every msgpack format and its size boundaries.
 * @module
 */

import { encodeTimestampExtension, ExtData } from "@msgpack/msgpack";

/**
 * How @msgpack/msgpack encodes and decodes a fixture's value:
 * `number` uses the defaults, `bigint` sets `useBigInt64` (64-bit ints as bigint),
 * `float32` encodes with `forceFloat32` (Python decodes float32 but always encodes float64).
 */
export type FixtureMode = "number" | "bigint" | "float32";

/** One value as JS and Python see it. */
export interface MsgpackFixture {
  /** Test step name. */
  readonly name: string;
  /** The value as @msgpack/msgpack encodes it and decodes it back. */
  readonly value: unknown;
  /** A Python expression for the same value; `ExtType` and `struct` are in scope. */
  readonly python: string;
  /** Encoder/decoder options to use on the JS side. */
  readonly mode: FixtureMode;
  /**
   * Whether Python's encodings equal @msgpack/msgpack's bytes. False where the shared value has
   * two spellings: float32 input (Python re-encodes float64), int map keys (JS sends strings).
   */
  readonly exact: boolean;
}

/** Options for {@linkcode fixture}. */
export interface FixtureOptions {
  /** Defaults to `"number"`. */
  mode?: FixtureMode;
  /** Defaults to `true`. */
  exact?: boolean;
}

function fixture(
  name: string,
  value: unknown,
  python: string,
  options: FixtureOptions = {},
): MsgpackFixture {
  return { name, value, python, mode: options.mode ?? "number", exact: options.exact ?? true };
}

/** Bytes 0, 1, ..., 255, 0, 1, ... of length `n`, matching {@linkcode pyPattern}. */
export function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i & 0xff;
  return out;
}

/** Python expression for {@linkcode pattern}(n). */
export function pyPattern(n: number): string {
  return `(bytes(range(256)) * ${Math.ceil(n / 256) + 1})[:${n}]`;
}

/** Python expression for a bytes literal, via hex. */
export function pyBytes(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `bytes.fromhex("${hex}")`;
}

/** Python string literal for `s` (a JSON string literal is a valid Python one). */
export function pyStr(s: string): string {
  return JSON.stringify(s);
}

function ints(): MsgpackFixture[] {
  const numbers = [
    0,
    1,
    127,
    128,
    255,
    256,
    65535,
    65536,
    2 ** 32 - 1,
    2 ** 32,
    Number.MAX_SAFE_INTEGER,
    -1,
    -32,
    -33,
    -128,
    -129,
    -32768,
    -32769,
    -(2 ** 31),
    -(2 ** 31) - 1,
    -(2 ** 40),
    Number.MIN_SAFE_INTEGER,
  ];
  const bigints = [2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 53n), -(2n ** 63n)];
  return [
    ...numbers.map((n) => fixture(`int ${n}`, n, `${n}`)),
    ...bigints.map((n) => fixture(`bigint ${n}`, n, `${n}`, { mode: "bigint" })),
    fixture(
      "array mixing small ints and 64-bit bigints",
      [1n << 40n, -(2n ** 63n)],
      "[2**40, -(2**63)]",
      {
        mode: "bigint",
      },
    ),
  ];
}

function floats(): MsgpackFixture[] {
  return [
    fixture("float 0.5", 0.5, "0.5"),
    fixture("float -1.25", -1.25, "-1.25"),
    fixture("float 0.1", 0.1, "0.1"),
    fixture("float 1e300", 1e300, "1e300"),
    fixture("float smallest subnormal", 5e-324, "5e-324"),
    fixture("float max", Number.MAX_VALUE, "1.7976931348623157e308"),
    fixture("float 2**53 (not a safe integer, so float64)", 2 ** 53, "2.0**53"),
    fixture("float NaN", NaN, "float('nan')"),
    fixture("float Infinity", Infinity, "float('inf')"),
    fixture("float -Infinity", -Infinity, "float('-inf')"),
    fixture("float32 0.5 decodes in Python", 0.5, "0.5", { mode: "float32", exact: false }),
    fixture("float32 -1.25 decodes in Python", -1.25, "-1.25", { mode: "float32", exact: false }),
  ];
}

function strings(): MsgpackFixture[] {
  const lengths = [0, 1, 31, 32, 255, 256, 65535, 65536];
  const samples = [
    ["non-ASCII", "héllo wörld ✓ ¿qué? ß"],
    ["CJK", "日本語のテキスト"],
    ["emoji with modifiers", "😀🎉👍🏽👨‍👩‍👧"],
    ["16 two-byte chars (32 UTF-8 bytes, str8)", "é".repeat(16)],
    ["CJK x100 (str16)", "日本語".repeat(100)],
    ["control characters and quotes", "a\u0000b\n\t\"\\'\u007f"],
  ] as const;
  return [
    ...lengths.map((n) => fixture(`str of ${n} bytes`, "a".repeat(n), `"a" * ${n}`)),
    ...samples.map(([name, s]) => fixture(`str ${name}`, s, pyStr(s))),
  ];
}

function binaries(): MsgpackFixture[] {
  const lengths = [0, 1, 255, 256, 65535, 65536, 5 * 1024 * 1024];
  return lengths.map((n) => fixture(`bin of ${n} bytes`, pattern(n), pyPattern(n)));
}

function arrays(): MsgpackFixture[] {
  const sizes = [0, 15, 16, 65535, 65536];
  return [
    ...sizes.map((n) =>
      fixture(
        `array of ${n} items`,
        Array.from({ length: n }, (_, i) => i % 200),
        `[i % 200 for i in range(${n})]`,
      )
    ),
    fixture(
      "array of mixed types",
      [1, "a", null, true, false, 0.5, new Uint8Array([1, 2])],
      '[1, "a", None, True, False, 0.5, b"\\x01\\x02"]',
    ),
    fixture("Python tuple encodes as array", [1, 2, 3], "(1, 2, 3)"),
  ];
}

function maps(): MsgpackFixture[] {
  const sizes = [0, 15, 16, 65535, 65536];
  return [
    ...sizes.map((n) =>
      fixture(
        `map of ${n} entries`,
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])),
        `{f"k{i}": i for i in range(${n})}`,
      )
    ),
    fixture(
      "map with int keys arrives in JS with string keys",
      { 1: "a", 2: "b" },
      '{1: "a", 2: "b"}',
      {
        exact: false,
      },
    ),
  ];
}

function nested(): MsgpackFixture[] {
  let deep: unknown = "bottom";
  let pyDeep = '"bottom"';
  for (let i = 0; i < 50; i++) {
    deep = i % 2 === 0 ? [deep] : { level: deep };
    pyDeep = i % 2 === 0 ? `[${pyDeep}]` : `{"level": ${pyDeep}}`;
  }
  return [
    fixture(
      "nested frame-like structure",
      {
        type: "result",
        id: "c-1",
        value: { repr: "[1, 2]", items: [1, { b: [true, null, { c: "deep" }] }] },
        data: new Uint8Array([0, 255]),
        ext: new ExtData(7, new Uint8Array([9])),
      },
      '{"type": "result", "id": "c-1", "value": {"repr": "[1, 2]", "items": [1, {"b": [True, None, {"c": "deep"}]}]}, "data": b"\\x00\\xff", "ext": ExtType(7, b"\\x09")}',
    ),
    fixture("50 levels of nesting", deep, pyDeep),
  ];
}

function exts(): MsgpackFixture[] {
  const sizes = [1, 2, 4, 8, 16, 0, 3, 255, 256, 65535, 65536];
  const dates = [
    ["timestamp32", new Date(1_700_000_000_000)],
    ["timestamp64", new Date(1_700_000_000_123)],
    ["timestamp96 (before 1970)", new Date(-1_000)],
  ] as const;
  return [
    ...sizes.map((n, i) => {
      const code = (i * 11) % 128;
      return fixture(
        `ext of ${n} bytes`,
        new ExtData(code, pattern(n)),
        `ExtType(${code}, ${pyPattern(n)})`,
      );
    }),
    fixture("ext with type 127", new ExtData(127, pattern(4)), `ExtType(127, ${pyPattern(4)})`),
    fixture("ext with type -128", new ExtData(-128, pattern(3)), `ExtType(-128, ${pyPattern(3)})`),
    ...dates.map(([name, date]) =>
      fixture(
        `${name} Date is ext -1`,
        date,
        `ExtType(-1, ${pyBytes(encodeTimestampExtension(date)!)})`,
      )
    ),
  ];
}

/** Every fixture: all msgpack formats and their size boundaries. */
export const MSGPACK_FIXTURES: readonly MsgpackFixture[] = [
  fixture("nil", null, "None"),
  fixture("true", true, "True"),
  fixture("false", false, "False"),
  ...ints(),
  ...floats(),
  ...strings(),
  ...binaries(),
  ...arrays(),
  ...maps(),
  ...nested(),
  ...exts(),
];

/** Inputs that are not valid msgpack, each of which Python must reject with a ValueError. */
export const CORRUPT_INPUTS: readonly { readonly name: string; readonly bytes: Uint8Array }[] = [
  { name: "empty input", bytes: new Uint8Array([]) },
  { name: "reserved type byte 0xc1", bytes: new Uint8Array([0xc1]) },
  { name: "reserved type byte inside an array", bytes: new Uint8Array([0x92, 0x01, 0xc1]) },
  { name: "invalid UTF-8 in a str", bytes: new Uint8Array([0xa2, 0xc3, 0x28]) },
  // A lone surrogate's 3-byte form (ed a0 80) is not here: a JS string may hold one and
  // @msgpack/msgpack writes it so; the worker reads it back as that surrogate (session_odd_text_test).
  { name: "trailing byte after a value", bytes: new Uint8Array([0x01, 0x02]) },
  {
    name: "array32 claiming 2**32-1 items",
    bytes: new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]),
  },
  { name: "map32 claiming 2**32-1 entries", bytes: new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff]) },
  { name: "str32 claiming 4 GiB", bytes: new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61]) },
  { name: "bin16 shorter than its length", bytes: new Uint8Array([0xc5, 0x01, 0x00, 0x61]) },
  {
    name: "ext32 shorter than its length",
    bytes: new Uint8Array([0xc9, 0x00, 0x00, 0x01, 0x00, 0x05]),
  },
  { name: "fixext16 with 15 bytes", bytes: new Uint8Array([0xd8, 0x05, ...pattern(15)]) },
  {
    name: "map missing its last value",
    bytes: new Uint8Array([0x82, 0xa1, 0x61, 0x01, 0xa1, 0x62]),
  },
];
