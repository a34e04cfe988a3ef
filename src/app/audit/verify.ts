/**
 * `keyledger audit verify` and `GET /v1/audit/verify` (docs/architecture.md §6): reads the ledger
 * straight from its store in global order and checks, without trusting the service that wrote it,
 *
 * - every stream's hash chain (edited, dropped, inserted, reordered events, by stream and position);
 * - the RFC 6962 tree over all event hashes against every checkpoint in the ledger, and each
 *   checkpoint's signature against the audit key (one given out of band, or else the ledger's own
 *   record of it, which the report then says it trusted);
 * - witnesses kept outside the ledger (the service's `audit-checkpoint.note`, notes an auditor
 *   saved): a ledger shorter than a signed checkpoint lost its tail.
 *
 * Memory: the tree (about 70 bytes an event) and one tail per stream; events are read a page at a
 * time.
 */
import { ChainChecker, type ChainFinding } from '../../audit/chain';
import { parseCheckpoint, parseVerifierKey, verifyNote, type VerifierKey } from '../../audit';
import { MerkleTree } from '../../audit';
import type { audit } from '../../domain';
import { AUDIT_STREAM } from '../../domain/streams';
import { readsStoredText, type EventStore, type RecordedEvent } from '../../event-store';

export type FindingKind = ChainFinding['kind'] | 'checkpoint-mismatch' | 'bad-signature' | 'truncated';

export interface Finding {
  readonly kind: FindingKind;
  /** The first position the finding is about (for a checkpoint: its own event, or the missing tail). */
  readonly position: number;
  readonly stream: string | null;
  readonly revision: number | null;
  readonly detail: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  /** Events read and the last position among them. */
  readonly events: number;
  readonly headPosition: number;
  /** Where the checked audit key came from: `given` (out of band) or `ledger` (its own record). */
  readonly keySource: 'given' | 'ledger' | 'none';
  readonly checkpoints: { readonly verified: number; readonly failed: number; readonly witnesses: number };
  /** The newest checkpoint that verified: the ledger up to its size is what the audit key signed. */
  readonly lastCheckpoint: {
    readonly treeSize: number;
    readonly rootHash: string;
    readonly position: number;
  } | null;
  /** Events after the last verified checkpoint: chained, but not yet anchored by a signature. */
  readonly unanchored: number;
  readonly findings: readonly Finding[];
  readonly firstBadPosition: number | null;
}

export interface VerifyOptions {
  /** Verifier keys the auditor trusts (C2SP `<name>+<id>+<key>`); without, the ledger's own record is used. */
  readonly trustedKeys?: readonly string[];
  /** Checkpoint notes kept outside the ledger, with where each came from. */
  readonly witnesses?: readonly { readonly source: string; readonly note: string }[];
  /** Whether positions must run 1, 2, 3… (the embedded ledger): a gap is then a dropped event. */
  readonly densePositions: boolean;
  readonly pageSize?: number;
  onProgress?(done: number, total: number): void;
}

export async function verifyLedger(store: EventStore, options: VerifyOptions): Promise<VerifyReport> {
  const given = (options.trustedKeys ?? []).map((k) => parseVerifierKey(k));
  const ledgerKeys: VerifierKey[] = [];
  const chain = new ChainChecker({ densePositions: options.densePositions });
  // The ledger's tree, and the leaves the checkpoints list, authenticated by their signed roots.
  // While the listed leaves are the ledger's own, the signed tree is the ledger's tree (null here);
  // it is built apart from the first listed leaf that differs.
  const tree = new MerkleTree();
  let signedTree: MerkleTree | null = null;
  const actual = new Leaves();
  const signed = new Leaves();
  const findings: Finding[] = [];
  const counts = { verified: 0, failed: 0, witnesses: 0 };
  // Set from inside the checks below (an object, so the compiler does not narrow it to null).
  const anchor: { last: VerifyReport['lastCheckpoint'] } = { last: null };
  let head = 0;
  const total = await store.headPosition();
  const keys = () => (given.length > 0 ? given : ledgerKeys);

  const checkCheckpoint = (
    note: string,
    at: { position: number; source: string },
    recorded?: { rootHash: string; from: unknown; leaves: unknown },
  ) => {
    const problem = (kind: FindingKind, detail: string, position = at.position) => {
      findings.push({
        kind,
        position,
        stream: at.source === 'ledger' ? AUDIT_STREAM : null,
        revision: null,
        detail,
      });
      counts.failed++;
    };
    const verified = verifiedText(note, keys());
    if (typeof verified !== 'string') return problem('bad-signature', `${describe(at)}: ${verified.error}`);
    const c = parseCheckpoint(verified);
    const root = Buffer.from(c.rootHash).toString('hex');
    if (recorded !== undefined) {
      if (recorded.rootHash !== root)
        return problem(
          'checkpoint-mismatch',
          `${describe(at)}: its event records root ${recorded.rootHash}, its note ${root}`,
        );
      const listed = signedLeaves(recorded, signed.size, c.size);
      if (listed === null)
        return problem('edited', `${describe(at)}: the leaves it lists do not fit its span`);
      const start = signed.size;
      for (let i = 0; i < listed.length; i += 32) {
        const leaf = listed.subarray(i, i + 32);
        signedTree?.append(leaf);
        signed.push(leaf, 0);
      }
      if (signedTree === null && !actual.holds(signed, start)) signedTree = signed.tree();
      if ((signedTree ?? tree).root(c.size).toString('hex') !== root)
        return problem('edited', `${describe(at)}: the leaves it lists do not give the root it signed`);
    }
    if (c.size > tree.size)
      return problem(
        'truncated',
        `${describe(at)} signed ${c.size} events, the ledger holds ${tree.size}: the events after position ${head} are missing`,
        head + 1,
      );
    const ledgerRoot = tree.root(c.size).toString('hex');
    if (ledgerRoot !== root)
      return problem(
        'checkpoint-mismatch',
        `${describe(at)} signed root ${root.slice(0, 16)}… over the first ${c.size} events; the ledger's events give ${ledgerRoot.slice(0, 16)}…: one of them was changed, removed, added or moved`,
      );
    counts.verified++;
    if (at.source === 'ledger' && (anchor.last === null || c.size >= anchor.last.treeSize))
      anchor.last = { treeSize: c.size, rootHash: root, position: at.position };
  };

  const leaf = Buffer.alloc(32);
  const take = (event: RecordedEvent) => {
    for (const f of chain.check(event)) findings.push(f);
    const stored = event.metadata.hash;
    // A leaf per event whatever its state: an edited event still takes its place in the tree.
    if (typeof stored !== 'string' || stored.length !== 64 || leaf.write(stored, 'hex') !== 32) leaf.fill(0);
    tree.append(leaf);
    actual.push(leaf, event.position);
    head = event.position;
    if (event.streamName !== AUDIT_STREAM) return;
    let data: object;
    try {
      data = event.data;
    } catch {
      return; // stored data that is not JSON: the chain check reported the event as edited
    }
    if (event.type === 'AuditKeyGenerated') {
      const d = data as audit.AuditKey;
      try {
        ledgerKeys.push(parseVerifierKey(d.verifierKey));
      } catch (error) {
        findings.push({
          kind: 'edited',
          position: event.position,
          stream: AUDIT_STREAM,
          revision: event.revision,
          detail: `the recorded audit key is malformed: ${(error as Error).message}`,
        });
      }
    } else if (event.type === 'AuditCheckpointSigned') {
      const d = data as audit.AuditCheckpointSigned['data'];
      // The tree now includes this event: its checkpoint covers the ones before it.
      checkCheckpoint(
        String(d.note),
        { position: event.position, source: 'ledger' },
        {
          rootHash: String(d.rootHash),
          from: d.from,
          leaves: d.leaves,
        },
      );
    }
  };

  // The SQLite ledger hands out its stored text: the chain check then hashes it as it is.
  const read = readsStoredText(store)
    ? (o: { fromPosition: number; maxCount: number }) => store.readAllStored(o)
    : (o: { fromPosition: number; maxCount: number }) => store.readAll(o);
  let from = 0;
  for (;;) {
    const page = await read({ fromPosition: from, maxCount: options.pageSize ?? 4096 });
    if (page.length === 0) break;
    for (const event of page) take(event);
    from = page[page.length - 1]!.position;
    options.onProgress?.(Math.min(from, total), total);
  }
  for (const f of chain.finish()) findings.push(f);
  // Where the ledger departs from what was signed: the first leaf that differs names the event
  // (a swap of two streams' events breaks no chain; a removed one shifts every later leaf).
  const first = actual.firstDifference(signed);
  if (first !== undefined) {
    const position = first < actual.size ? positionAt(actual, first, options.densePositions) : head + 1;
    findings.push({
      kind: first < actual.size ? 'checkpoint-mismatch' : 'truncated',
      position,
      stream: null,
      revision: null,
      detail:
        first < actual.size
          ? `the event at position ${position} is not the one the checkpoints signed as leaf ${first}: an event was changed, removed, added or moved here`
          : `the checkpoints signed ${signed.size} events, the ledger holds ${actual.size}: the events from position ${position} on are missing`,
    });
  }
  for (const w of options.witnesses ?? []) {
    counts.witnesses++;
    checkCheckpoint(w.note, { position: head, source: w.source });
  }

  findings.sort((a, b) => a.position - b.position);
  const anchored = anchor.last;
  return {
    ok: findings.length === 0,
    events: tree.size,
    headPosition: head,
    keySource: given.length > 0 ? 'given' : ledgerKeys.length > 0 ? 'ledger' : 'none',
    checkpoints: counts,
    lastCheckpoint: anchored,
    unanchored: anchored === null ? tree.size : tree.size - anchored.treeSize,
    findings,
    firstBadPosition: findings[0]?.position ?? null,
  };
}

function describe(at: { position: number; source: string }): string {
  return at.source === 'ledger'
    ? `the checkpoint at position ${at.position}`
    : `the checkpoint in ${at.source}`;
}

/** The note's text if one of `keys` signed it, else why not. */
function verifiedText(note: string, keys: readonly VerifierKey[]): string | { error: string } {
  if (keys.length === 0) return { error: 'no audit key to check it against' };
  const errors: string[] = [];
  for (const key of keys) {
    try {
      return verifyNote(note, key);
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  return { error: errors.join('; ') };
}

/** Leaf data in order, 32 bytes each, with the position of the event it came from. */
class Leaves {
  private data = Buffer.alloc(32 * 1024);
  private positions = new Float64Array(1024);
  size = 0;

  push(leaf: Uint8Array, position: number): void {
    if (this.size === this.positions.length) {
      const data = Buffer.alloc(this.data.length * 2);
      this.data.copy(data);
      this.data = data;
      const positions = new Float64Array(this.positions.length * 2);
      positions.set(this.positions);
      this.positions = positions;
    }
    this.data.set(leaf, this.size * 32);
    this.positions[this.size++] = position;
  }

  positionOf(index: number): number {
    return this.positions[index]!;
  }

  /** Whether this holds leaves from..other.size of `other`, the same bytes at the same indices. */
  holds(other: Leaves, from: number): boolean {
    if (this.size < other.size) return false;
    return this.data.compare(other.data, from * 32, other.size * 32, from * 32, other.size * 32) === 0;
  }

  /** The Merkle tree of these leaves. */
  tree(): MerkleTree {
    const tree = new MerkleTree();
    for (let i = 0; i < this.size; i++) tree.append(this.data.subarray(i * 32, i * 32 + 32));
    return tree;
  }

  /** The first index (below `other.size`) where the two differ, or undefined if this holds all of `other`. */
  firstDifference(other: Leaves): number | undefined {
    const common = Math.min(this.size, other.size);
    for (let i = 0; i < common; i++)
      if (this.data.compare(other.data, i * 32, i * 32 + 32, i * 32, i * 32 + 32) !== 0) return i;
    return this.size < other.size ? this.size : undefined;
  }
}

/** The ledger position of leaf `index`: index + 1 where positions run 1, 2, 3 …, else the event's own. */
function positionAt(leaves: Leaves, index: number, dense: boolean): number {
  return dense ? index + 1 : leaves.positionOf(index);
}

/** A checkpoint event's listed leaves, when they are exactly its span after the ones already signed. */
function signedLeaves(
  recorded: { from: unknown; leaves: unknown },
  signedSoFar: number,
  size: number,
): Buffer | null {
  if (recorded.from !== signedSoFar || typeof recorded.leaves !== 'string' || size < signedSoFar) return null;
  const bytes = Buffer.from(recorded.leaves, 'base64');
  return bytes.length === (size - signedSoFar) * 32 ? bytes : null;
}
