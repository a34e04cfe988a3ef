/**
 * PKEY_MATCH, PKEY_SET_ATTRIBUTES and PKEY_GET_ATTRIBUTES (libhal rpc_pkey.c and ks.c;
 * docs/libhal-rpc.md §3.3, §4.3).
 */
import {
  applyAttributeChanges,
  readAttributes,
  type AttributeChange,
  type AttributeReadout,
} from './attributes';
import { locate, type EngineContext } from './engine-context';
import { matchPage, type MatchQuery } from './match';
import { fail } from './status';

/**
 * Not logged in (and `flags` without PUBLIC): OK with no names and the state unchanged, as libhal
 * answers. Volatile keys of other clients are visible to WHEEL only (§6.1).
 */
export function match(ctx: EngineContext, client: number, q: MatchQuery): { state: number; names: Buffer[] } {
  const rpc = 'PKEY_MATCH';
  if (q.resultMax === 0) throw fail('BAD_ARGUMENTS', rpc);
  if (!ctx.logins.isReadable(client, q.flags)) return { state: q.state, names: [] };
  return matchPage(
    q,
    { token: () => ctx.keystore.tokenRecords(), volatile: () => ctx.keystore.volatileRecords(client) },
    rpc,
  );
}

/** The creating client must be allowed to write the key (§4.3); all changes or none. */
export function setAttributes(ctx: EngineContext, pkey: number, changes: readonly AttributeChange[]): void {
  const rpc = 'PKEY_SET_ATTRIBUTES';
  if (changes.length === 0) throw fail('BAD_ARGUMENTS', rpc);
  const slot = ctx.slots.find(pkey, rpc);
  ctx.logins.requireWritable(slot.client, slot.flags, rpc);
  const { record, token } = locate(ctx, slot, rpc);
  const attributes = applyAttributeChanges(record.attributes, changes, record.der.length, rpc);
  ctx.keystore.replace({ ...record, attributes }, token, rpc);
}

export function getAttributes(
  ctx: EngineContext,
  pkey: number,
  types: readonly number[],
  bufferLen: number,
): AttributeReadout {
  const rpc = 'PKEY_GET_ATTRIBUTES';
  if (types.length === 0) throw fail('BAD_ARGUMENTS', rpc);
  const slot = ctx.slots.find(pkey, rpc);
  return readAttributes(locate(ctx, slot, rpc).record.attributes, types, bufferLen, rpc);
}
