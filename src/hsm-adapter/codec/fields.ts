/**
 * Typed XDR field codecs: each knows how to write one value and read it back, bounded by the
 * reader. RPC layouts (rpc.ts) are built from these, so one description gives the encoder, the
 * decoder and the TypeScript types of both sides.
 */
import { HsmProtocolError } from '../errors';
import { XdrReader } from './xdr-reader';
import { XdrWriter } from './xdr-writer';

/** What decoding yields for a value written as `T`: every Uint8Array comes back as a Buffer (a copy). */
export type Decoded<T> = T extends Uint8Array
  ? Buffer
  : T extends readonly (infer E)[]
    ? Decoded<E>[]
    : T extends object
      ? { -readonly [K in keyof T]: Decoded<T[K]> }
      : T;

export interface Field<T> {
  read(r: XdrReader, path: string): Decoded<T>;
  write(w: XdrWriter, value: T, path: string): void;
}

/** A record of fields; wire order is the key order (keys are never integer-like, so JS keeps it). */
export type Shape = { readonly [key: string]: Field<unknown> };
export type ShapeValue<S extends Shape> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/** int / unsigned / enum / handle / flags: one big-endian word (§2). */
export const u32: Field<number> = {
  read: (r, path) => r.u32(path),
  write: (w, v, path) => void w.u32(path, v),
};

/**
 * Variable-length opaque (§2). With `max`, a declared length above it is refused on read (the
 * caller asked for at most that much) and a longer value is refused on write.
 */
export function bytes(max?: number): Field<Uint8Array> {
  return {
    read: (r, path) => r.opaque(path, max),
    write: (w, v, path) => {
      if (max !== undefined && v.length > max)
        throw new RangeError(`"${path}" is ${v.length} bytes, more than the ${max} requested`);
      w.opaque(path, v);
    },
  };
}

/** A key name: opaque of exactly 16 bytes (§2). */
export const uuid: Field<Uint8Array> = {
  read: (r, path) => r.uuid(path),
  write: (w, v, path) => void w.uuid(path, v),
};

/** Attribute value or null, sent as the NIL word FFFFFFFF (= delete, PKEY_SET_ATTRIBUTES) (§2). */
export const bytesOrNil: Field<Uint8Array | null> = {
  read: (r, path) => r.opaqueOrNil(path),
  write: (w, v, path) => void w.opaqueOrNil(path, v),
};

export function struct<S extends Shape>(shape: S): Field<ShapeValue<S>> {
  const keys = Object.keys(shape);
  return {
    read: (r, path) => {
      const out: Record<string, unknown> = {};
      for (const k of keys) out[k] = shape[k].read(r, `${path}.${k}`);
      return out as Decoded<ShapeValue<S>>;
    },
    write: (w, v, path) => {
      for (const k of keys) shape[k].write(w, (v as Record<string, unknown>)[k], `${path}.${k}`);
    },
  };
}

/**
 * Counted array: a u32 count, then the elements (§2). `minSize` is the fewest bytes one element
 * takes on the wire, so a count the frame cannot hold is refused before any element is read;
 * `max` bounds the count (e.g. PKEY_MATCH's `result_max`).
 */
export function list<E>(element: Field<E>, minSize: number, max?: number): Field<readonly E[]> {
  return {
    read: (r, path) => {
      const n = r.count(path, minSize);
      // The C client answers RPC_PROTOCOL_ERROR for more results than it asked for.
      if (max !== undefined && n > max)
        throw new HsmProtocolError(`"${path}" has ${n} elements, more than the ${max} requested`);
      const out: Decoded<E>[] = [];
      for (let i = 0; i < n; i++) out.push(element.read(r, `${path}[${i}]`));
      return out as Decoded<readonly E[]>;
    },
    write: (w, v, path) => {
      if (max !== undefined && v.length > max)
        throw new RangeError(`"${path}" has ${v.length} elements, more than the ${max} requested`);
      w.u32(path, v.length);
      v.forEach((e, i) => element.write(w, e, `${path}[${i}]`));
    },
  };
}
