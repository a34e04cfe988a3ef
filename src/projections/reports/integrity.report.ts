/**
 * `integrity`: the ledger's tamper evidence as of a position (docs/architecture.md §6) — the audit
 * key, the last signed checkpoint and how many events follow it unanchored, and the last
 * verification of the whole ledger that was recorded (`keyledger audit verify`, or
 * `POST /v1/audit/verify`) with its result.
 */
import type { JsonObject } from '../../event-store/event-store';
import { auditTrailOf, auditTrailProjection } from './audit-trail.projection';
import type { Column, ReportDefinition, Row } from './report';

const COLUMNS: readonly Column[] = [
  { name: 'item', title: 'Item' },
  { name: 'value', title: 'Value' },
];

export const integrityReport: ReportDefinition = {
  name: 'integrity',
  title: 'Ledger integrity',
  description:
    'the audit key, the last signed checkpoint, events not yet anchored, the last recorded verification',
  key: 'none',
  projections: () => [auditTrailProjection],
  build(models, input) {
    const trail = auditTrailOf(models.get(auditTrailProjection.name));
    const key = trail.keys[trail.keys.length - 1] ?? null;
    const last = trail.lastCheckpoint;
    // Events folded that the last checkpoint does not cover (its own event included).
    const unanchored = last === null ? input.events : Math.max(0, input.events - last.treeSize);
    const v = trail.lastVerification;
    const body: JsonObject = {
      auditKey: key,
      checkpoints: trail.checkpoints,
      lastCheckpoint: last,
      unanchoredEvents: unanchored,
      lastVerification: v,
    };
    const rows: Row[] = [
      {
        item: 'audit key',
        value: key === null ? 'none yet' : `${key.keyId} on ${key.hsmId} (${key.verifierKey})`,
      },
      { item: 'checkpoints signed', value: trail.checkpoints },
      {
        item: 'last checkpoint',
        value:
          last === null
            ? 'none'
            : `${last.treeSize} events, root ${last.rootHash}, signed ${last.signedAt} (position ${last.position})`,
      },
      { item: 'events after it', value: unanchored },
      {
        item: 'last verification',
        value:
          v === null
            ? 'none recorded'
            : `${v.ok ? 'verified' : 'FAILED'} at ${v.at}${v.by === null ? '' : ` by ${v.by}`}: ${v.events} events, ${v.checkpointsVerified} checkpoints verified, ${v.findings} findings${v.firstBadPosition === null ? '' : `, first bad position ${v.firstBadPosition}`} (key ${v.keySource === 'given' ? 'given out of band' : v.keySource === 'ledger' ? "from the ledger's own record" : 'none'})`,
      },
    ];
    return {
      body,
      summary: [
        ['Last checkpoint', last === null ? 'none' : `${last.treeSize} events at ${last.signedAt}`],
        ['Last verification', v === null ? 'none recorded' : `${v.ok ? 'verified' : 'FAILED'} at ${v.at}`],
      ],
      tables: [{ title: 'Integrity', columns: COLUMNS, rows }],
    };
  },
};
