/**
 * Python value -> JS value conversion, the counterpart of runner/values.py.
 *
 * None -> null, bool -> boolean, int -> number (bigint beyond 2^53 - 1), float -> number, str -> string,
 * bytes -> Uint8Array, list/tuple -> array, dict with str keys -> object, other dicts -> Map. Anything else
 * has no `value`, only a `repr`.
 *
 * @module
 */
import { decode, ExtensionCodec } from "npm:@msgpack/msgpack@3.1.3";

/** Ext type of an int beyond 2^53 - 1, carried as decimal text. */
export const EXT_BIGINT = 1;
/** Ext type of a dict with non-string keys, carried as a msgpack array of [key, value] pairs. */
export const EXT_MAP = 2;

/** The msgpack extension codec that decodes Python values into JS values. */
export const valueCodec: ExtensionCodec = new ExtensionCodec();

valueCodec.register({
  type: EXT_BIGINT,
  encode: (
    input: unknown,
  ) => (typeof input === "bigint" ? new TextEncoder().encode(input.toString()) : null),
  decode: (data: Uint8Array) => BigInt(new TextDecoder().decode(data)),
});

valueCodec.register({
  type: EXT_MAP,
  encode: () => null,
  decode: (data: Uint8Array) => {
    const pairs = decode(data, { extensionCodec: valueCodec }) as [unknown, unknown][];
    return new Map(pairs);
  },
});
