/**
 * PKEY_MATCH (libhal rpc_pkey.c pkey_local_match and ks.c hal_ks_match, docs/libhal-rpc.md §3.3):
 * a paged scan of the token store, then the volatile store, each in UUID order, driven by the
 * caller's `state` (0 start, 1 token, 2 volatile, 3 done) and `previous` (the last UUID returned).
 */
import { KeyFlag, MatchState } from '../hsm-adapter/constants';
import { hasAttributes } from './attributes';
import type { KeyRecord } from './keystore/key-record';
import { fail } from './status';

export interface MatchQuery {
  readonly type: number;
  readonly curve: number;
  readonly mask: number;
  readonly flags: number;
  readonly attributes: readonly { type: number; value: Uint8Array }[];
  readonly state: number;
  readonly resultMax: number;
  readonly previous: Uint8Array;
}

export interface MatchSources {
  /** Token records in UUID order. */
  token(): readonly KeyRecord[];
  /** Volatile records visible to the caller, in UUID order. */
  volatile(): readonly KeyRecord[];
}

const ZERO_UUID = Buffer.alloc(16);

function matches(r: KeyRecord, q: MatchQuery): boolean {
  return (
    (q.type === 0 || q.type === r.type) &&
    (q.curve === 0 || q.curve === r.curve) &&
    ((q.flags ^ r.flags) & q.mask) >>> 0 === 0 &&
    (q.attributes.length === 0 || hasAttributes(r.attributes, q.attributes))
  );
}

/** Records after `previous` (strictly greater UUID) that match, at most `max`. */
function scan(records: readonly KeyRecord[], q: MatchQuery, previous: Uint8Array, max: number): Buffer[] {
  const out: Buffer[] = [];
  const prev = Buffer.from(previous);
  for (const r of records) {
    if (out.length >= max) break;
    if (Buffer.compare(r.name, prev) <= 0 || !matches(r, q)) continue;
    out.push(Buffer.from(r.name));
  }
  return out;
}

/** Runs one page. The caller has done the login check (not logged in → n = 0, state unchanged). */
export function matchPage(
  q: MatchQuery,
  sources: MatchSources,
  rpc: string,
): { state: number; names: Buffer[] } {
  if (q.state > MatchState.DONE) throw fail('BAD_ARGUMENTS', rpc);
  const names: Buffer[] = [];
  let state = q.state;
  let prev: Uint8Array = q.previous;
  const tokenWanted = (q.mask & KeyFlag.TOKEN) === 0 || (q.mask & q.flags & KeyFlag.TOKEN) !== 0;
  const volatileWanted = (q.mask & KeyFlag.TOKEN) === 0 || (q.mask & q.flags & KeyFlag.TOKEN) === 0;
  if (state === MatchState.START) {
    prev = ZERO_UUID;
    state = MatchState.TOKEN;
  }
  if (state === MatchState.TOKEN) {
    if (tokenWanted) names.push(...scan(sources.token(), q, prev, q.resultMax - names.length));
    if (names.length === q.resultMax) return { state, names };
    prev = ZERO_UUID;
    state = MatchState.VOLATILE;
  }
  if (state === MatchState.VOLATILE) {
    if (volatileWanted) names.push(...scan(sources.volatile(), q, prev, q.resultMax - names.length));
    if (names.length === q.resultMax) return { state, names };
    state = MatchState.DONE;
  }
  return { state, names };
}
