/**
 * Key attributes (libhal ks.c / ks_attribute.c, docs/libhal-rpc.md §3.3): PKEY_SET_ATTRIBUTES,
 * PKEY_GET_ATTRIBUTES and the attribute filter of PKEY_MATCH, as pure functions on a record's
 * attribute list. Attributes share the key's block with its wrapped DER (6-byte header + value
 * each, §4.5).
 */
import { ATTRIBUTE_HEADER_SIZE, KS_BLOCK_DER_SPACE, type KeyAttribute } from './keystore/key-record';
import { fail } from './status';

export interface AttributeChange {
  readonly type: number;
  /** null = delete (the NIL marker on the wire). */
  readonly value: Uint8Array | null;
}

/**
 * Applies changes in order (a set replaces any value of that type and moves it last; a delete of
 * an absent type is a no-op). All or nothing: if the block would overflow, RESULT_TOO_LONG and
 * nothing changes.
 */
export function applyAttributeChanges(
  current: readonly KeyAttribute[],
  changes: readonly AttributeChange[],
  wrappedDerLength: number,
  rpc: string,
): KeyAttribute[] {
  const space = KS_BLOCK_DER_SPACE - wrappedDerLength;
  let attrs = [...current];
  let total = attrs.reduce((sum, a) => sum + ATTRIBUTE_HEADER_SIZE + a.value.length, 0);
  for (const change of changes) {
    const old = attrs.find((a) => a.type === change.type);
    if (old) {
      attrs = attrs.filter((a) => a !== old);
      total -= ATTRIBUTE_HEADER_SIZE + old.value.length;
    }
    if (change.value === null) continue;
    if (total + ATTRIBUTE_HEADER_SIZE + change.value.length > space) throw fail('RESULT_TOO_LONG', rpc);
    attrs.push({ type: change.type, value: Buffer.from(change.value) });
    total += ATTRIBUTE_HEADER_SIZE + change.value.length;
  }
  return attrs;
}

export type AttributeReadout =
  { lengths: { type: number; length: number }[] } | { attributes: { type: number; value: Buffer }[] };

/**
 * PKEY_GET_ATTRIBUTES: with `bufferLen` 0, the length of each requested type (0 if absent);
 * otherwise each value, all of them within `bufferLen` bytes (RESULT_TOO_LONG), every one present
 * (ATTRIBUTE_NOT_FOUND). A key with no attributes at all is ATTRIBUTE_NOT_FOUND in both modes.
 */
export function readAttributes(
  attrs: readonly KeyAttribute[],
  types: readonly number[],
  bufferLen: number,
  rpc: string,
): AttributeReadout {
  if (attrs.length === 0) throw fail('ATTRIBUTE_NOT_FOUND', rpc);
  const found = types.map((type) => attrs.find((a) => a.type === type));
  if (bufferLen === 0)
    return { lengths: types.map((type, i) => ({ type, length: found[i]?.value.length ?? 0 })) };
  let left = bufferLen;
  for (const a of found) {
    if (!a) continue;
    if (a.value.length > left) throw fail('RESULT_TOO_LONG', rpc);
    left -= a.value.length;
  }
  if (found.some((a) => a === undefined)) throw fail('ATTRIBUTE_NOT_FOUND', rpc);
  return { attributes: types.map((type, i) => ({ type, value: Buffer.from(found[i]!.value) })) };
}

/** PKEY_MATCH's attribute filter: every wanted attribute present with exactly that value. */
export function hasAttributes(
  attrs: readonly KeyAttribute[],
  wanted: readonly { type: number; value: Uint8Array }[],
): boolean {
  return wanted.every((w) => {
    const a = attrs.find((x) => x.type === w.type);
    return a !== undefined && Buffer.from(w.value).equals(a.value);
  });
}
