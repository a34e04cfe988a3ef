/**
 * The hashsig index log (docs/architecture.md §3 "Observed state", "Index log"): every signature's index path is
 * judged and appended BEFORE the signature is released. The handler releases the batch only on
 * HashsigSignaturesReleased. Indices are facts (the HSM already advanced its state), so even a
 * refused batch is recorded — withheld or as reuse — rather than thrown away.
 */
import { aId, aSha256 } from '../assert';
import { InvalidCommand } from '../errors';
import { checkIndexPath, type IndexPath, judgePath } from '../hashsig';
import { lookup } from '../message';
import type { RecordHashsigSignatures } from './commands';
import { NotHashsig, UnknownCopy } from './errors';
import type { KeyEvent } from './events';
import type { LiveKey } from './state';

/** Batches are bounded so one event stays far below the store's 1 MiB limit. */
export const MAX_SIGNATURE_BATCH = 256;

export function recordHashsigSignatures(state: LiveKey, c: RecordHashsigSignatures['data']): KeyEvent[] {
  aId('copyId', c.copyId);
  aId('hsmId', c.hsmId);
  if (state.keyType !== 'hashsig') throw new NotHashsig(state.keyId, state.keyType);
  const copy = lookup(state.copies, c.copyId);
  if (copy?.kind !== 'hashsig') throw new UnknownCopy(state.keyId, c.copyId);
  const n = c.indexPaths.length;
  if (n < 1 || n > MAX_SIGNATURE_BATCH || c.signatureSha256s.length !== n) {
    throw new InvalidCommand(
      `"indexPaths" and "signatureSha256s" expected 1 … ${MAX_SIGNATURE_BATCH} entries each, got ${n} and ${c.signatureSha256s.length}`,
    );
  }
  c.signatureSha256s.forEach((s, i) => aSha256(`signatureSha256s[${i}]`, s));
  c.indexPaths.forEach((p, i) => checkIndexPath(state.params, p, `indexPaths[${i}]`));

  const batch = {
    keyId: state.keyId,
    copyId: c.copyId,
    hsmId: c.hsmId,
    indexPaths: c.indexPaths,
    signatureSha256s: c.signatureSha256s,
    at: c.at,
  };
  let last: IndexPath | null = copy.lastPath;
  for (let position = 0; position < n && c.unsafeSkipIndexCheck !== true; position++) {
    const path = c.indexPaths[position]!;
    const verdict = judgePath(last, copy.range, path);
    if (!verdict.ok) {
      return [
        {
          type: 'HashsigReuseDetected',
          data: {
            ...batch,
            offending: { position, indexPath: path, rule: verdict.rule },
            detail: `copy ${c.copyId} signing on ${c.hsmId}: ${verdict.detail}`,
          },
        },
      ];
    }
    last = path;
  }
  if (state.frozen !== null) {
    return [
      {
        type: 'HashsigSignaturesWithheld',
        data: {
          ...batch,
          reason: 'key-frozen',
          detail: `key ${state.keyId} is frozen since ${state.frozen.at}: ${state.frozen.detail}`,
        },
      },
    ];
  }
  const r = lookup(state.residency, c.hsmId);
  // A disabled residency still counts: a signature made before the raw export may be recorded after it.
  if (r === undefined || r.copyId !== c.copyId) {
    return [
      {
        type: 'HashsigSignaturesWithheld',
        data: {
          ...batch,
          reason: 'signer-not-holder',
          detail:
            r === undefined
              ? `${c.hsmId} holds no copy of key ${state.keyId} in the ledger`
              : `${c.hsmId} holds copy ${r.copyId}, not ${c.copyId}`,
        },
      },
    ];
  }
  return [{ type: 'HashsigSignaturesReleased', data: batch }];
}
