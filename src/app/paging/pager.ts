/**
 * Key paging (docs/architecture.md §4 "Key paging"): a virtual keystore larger than the HSMs. A
 * sign with a key no active HSM holds pages it in (IMPORT_RAW of its current blob, attributes
 * re-applied), after making room on a full HSM by paging out the key the replacement policy picks
 * (a clean RSA/EC key: PKEY_DELETE only; a hashsig key, or one without a current blob: raw export,
 * then delete). Every move is one of the crash-safe operations of docs/architecture.md §4, its
 * intent carrying reason `paging` and the acting operator.
 *
 * What holds, in one process: concurrent requests for one missing key share one page-in; a key in
 * use (a sign under way) or pinned is never chosen to page out, and a key being moved is used only
 * once the move is over; the room on an HSM counts the page-ins under way, so concurrent page-ins
 * never overfill it. The HSM's own NO_KEY_SLOTS_AVAILABLE lowers its capacity to what it holds.
 */
import { Logger } from '@nestjs/common';
import { hsm as hsmDomain, key, paging } from '../../domain';
import { holdsLocks } from '../../event-store';
import type { Actor } from '../actor';
import type { PagingConfig } from '../config';
import { soleWriter } from '../custody/append-decision';
import type { CustodyCore } from '../custody/custody-core';
import { HsmFull, HsmStateMismatch } from '../custody/errors';
import { liveKey } from '../custody/keys';
import { evictFromHsm, rawExport } from '../custody/raw-export';
import { rawImport } from '../custody/raw-import';
import { currentBlobOf } from '../custody/views';
import type { ActiveHsm } from '../hsm-registry/hsm-registry';

const noMove = (): undefined => undefined;

/** Slots of an HSM taken or promised: the policy's residents, copies it does not page, reservations. */
const heldOn = (h: HsmPaging): number => h.policy.size + h.others + h.reserved;

/** Attempts of a page-in that finds the HSM fuller than it was told (another writer, a smaller HSM). */
const PAGE_IN_ATTEMPTS = 3;
/** How often, and how far apart, a key missing from its HSM is looked up again on a shared ledger. */
const MOVED_LOOKS = 10;
const MOVED_LOOK_MS = 100;
/** How long a full HSM whose candidates other instances are using waits before it looks again. */
const BUSY_ELSEWHERE_MS = 50;
/** How long an HSM found full on a shared ledger is given for another instance's move to be recorded. */
const FULL_ELSEWHERE_MS = 200;

/** The lock a key's users hold shared, and its pager takes exclusively to page it out. */
const useLock = (keyId: string): string => `use:${keyId}`;

/** What the pager keeps per HSM. */
interface HsmPaging {
  readonly hsmId: string;
  readonly policy: paging.ReplacementPolicy;
  /** Slots the HSM has: its registered capacity, lowered when it answered NO_KEY_SLOTS_AVAILABLE. */
  capacity: number;
  /** Page-ins (and generations) under way: slots promised, their keys not admitted yet. */
  reserved: number;
  /**
   * Slots taken by copies the policy does not page (hashsig copies disabled, awaiting deletion),
   * and on a ledger other instances write too, by keys the HSM holds that the ledger does not
   * count yet (their page-ins under way, an audit key).
   */
  others: number;
  /** The policy's residents may differ from the ledger's (a move made without the pager): resync first. */
  dirty: boolean;
  /** Page-outs under way: a full HSM with none to choose waits for one of these. */
  readonly leaving: Set<Promise<undefined>>;
  /** Called when a reservation is given back: a full HSM with none to choose waits for that too. */
  readonly released: Set<() => void>;
}

/** How a prefetched key ended. */
export type PrefetchOutcome =
  | { keyId: string; outcome: 'resident' | 'paged-in'; hsm: string }
  | { keyId: string; outcome: 'resident-elsewhere'; hsm: string }
  | { keyId: string; outcome: 'failed'; error: unknown };

export class Pager {
  private readonly logger = new Logger('paging');
  private readonly hsms = new Map<string, HsmPaging>();
  /** Keys being paged in or out: their move, which every other user of the key waits for. */
  private readonly moving = new Map<string, Promise<unknown>>();
  /** Signs under way per key: such a key is not paged out. */
  private readonly inUse = new Map<string, number>();
  /** Woken when a key stops being in use: a full HSM whose keys are all in use waits for that. */
  private readonly freed = new Set<() => void>();
  /** Pinned keys (KeyPinChanged), loaded from the read side at first need. */
  private pinned: Set<string> | undefined;

  constructor(
    private readonly core: CustodyCore,
    readonly config: PagingConfig,
  ) {}

  get enabled(): boolean {
    return this.config.enabled;
  }

  /**
   * Runs `use` while `keyId` is resident (on `hsmRef` when given), paging it in first if no active
   * HSM holds it. The key is not paged out while `use` runs.
   */
  async withResident<T>(
    keyId: string,
    hsmRef: string | undefined,
    actor: Actor,
    use: () => Promise<T>,
  ): Promise<T> {
    // Held from the start: a key paged in for this request is not chosen to make room for another
    // before this request used it.
    this.inUse.set(keyId, (this.inUse.get(keyId) ?? 0) + 1);
    try {
      return await this.inUseEverywhere(keyId, () => this.residentUse(keyId, hsmRef, actor, use));
    } finally {
      const n = this.inUse.get(keyId)! - 1;
      if (n === 0) {
        this.inUse.delete(keyId);
        for (const wake of this.freed) wake();
        this.freed.clear();
      } else this.inUse.set(keyId, n);
    }
  }

  /** `withResident`'s loop: use the key where it is, or page it in and look again. */
  private async residentUse<T>(
    keyId: string,
    hsmRef: string | undefined,
    actor: Actor,
    use: () => Promise<T>,
  ): Promise<T> {
    let recorded = false;
    // Page-ins tried for this request (waiting for another move of the key is not one).
    let attempts = 0;
    for (;;) {
      const move = this.moving.get(keyId);
      if (move !== undefined) {
        await move.catch(() => undefined);
        continue;
      }
      const { state } = await liveKey(this.core, keyId, 'signing');
      if (this.moving.has(keyId)) continue;
      const holder = await this.liveHolder(state, hsmRef);
      if (holder !== undefined) {
        if (!recorded) this.forHsm(holder).policy.record(keyId);
        try {
          return await use();
        } catch (error) {
          if (!(await this.movedElsewhere(error, keyId, holder, state)) || attempts >= PAGE_IN_ATTEMPTS)
            throw error;
          attempts++;
          continue;
        }
      }
      // Not resident: the sign itself says why when paging cannot help (no blob, paging off, a
      // hashsig key with no index left).
      // A hashsig key is live on one HSM only: asked for another, the sign says where it is.
      if (
        !this.enabled ||
        attempts >= PAGE_IN_ATTEMPTS ||
        currentBlobOf(state) === undefined ||
        key.hashsigUsage(state)?.remaining === 0 ||
        (hsmRef !== undefined &&
          state.keyType === 'hashsig' &&
          (await this.liveHolder(state, undefined)) !== undefined)
      )
        return await use();
      recorded = true;
      attempts++;
      await this.pageIn(keyId, hsmRef, actor).catch((error: unknown) => {
        // A page-in that lost to another one (the key arrived meanwhile) is not a failure.
        if (!(error instanceof key.AlreadyResident)) throw error;
      });
    }
  }

  /** Pages `keyId` in, onto `hsmRef` or the HSM of its blob's KEK domain with the most room; one move per key at a time. */
  pageIn(keyId: string, hsmRef: string | undefined, actor: Actor): Promise<string | undefined> {
    // A move of the key under way (its page-in for another request, or a page-out): the caller
    // looks again once it is over.
    const running = this.moving.get(keyId);
    if (running !== undefined) return running.then(noMove, noMove);
    const move = this.doPageIn(keyId, hsmRef, actor).finally(() => this.moving.delete(keyId));
    this.moving.set(keyId, move);
    return move;
  }

  /**
   * Runs `fn` with a slot kept free on `target` (a key generation): on a full HSM the policy's
   * victim is paged out first. The key `fn` made is resident there afterwards.
   */
  async withSlot<T extends { keyId: string }>(
    target: ActiveHsm,
    actor: Actor,
    fn: () => Promise<T>,
  ): Promise<T> {
    if (!this.enabled) return fn();
    for (let attempt = 1; ; attempt++) {
      const made = await this.inReservedSlot(target, actor, 'generating a key', attempt, async () => {
        const value = await fn();
        return { keyId: value.keyId, value };
      });
      if (made !== undefined) return made.value;
    }
  }

  /**
   * Runs `fn`, which needs `slots` free key slots on `target` while it runs (a transfer: the
   * destination's KEKEK and the imported key; the KEKEK is deleted before it ends), with that many
   * reserved, paging keys out of a full HSM first; `keyId`, which `fn` puts there, is admitted to
   * the policy. Once: a transfer that still finds the HSM full is failed cleanly, and the pager
   * takes the HSM as smaller from then on.
   */
  async withRoom<T>(
    target: ActiveHsm,
    slots: number,
    keyId: string,
    actor: Actor,
    purpose: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    if (!this.enabled) return fn();
    const h = this.forHsm(target);
    const releases: (() => void)[] = [];
    try {
      for (let i = 0; i < slots; i++) releases.push(await this.reserve(target, actor, purpose));
      const value = await fn();
      h.policy.admit(keyId);
      return value;
    } catch (error) {
      h.dirty = true;
      if (error instanceof HsmFull) await this.fullAt(h, target);
      throw error;
    } finally {
      for (const release of releases) release();
    }
  }

  /**
   * One try of `fn` (which puts a key on `target`) in a slot reserved there; the key is admitted to
   * the policy. Undefined when the HSM was full after all: it is taken as smaller, and the caller
   * tries again (up to PAGE_IN_ATTEMPTS, then the HSM's refusal is thrown).
   */
  private async inReservedSlot<T>(
    target: ActiveHsm,
    actor: Actor,
    purpose: string,
    attempt: number,
    fn: () => Promise<{ keyId: string; value: T }>,
  ): Promise<{ value: T } | undefined> {
    const h = this.forHsm(target);
    const release = await this.reserve(target, actor, purpose);
    try {
      const { keyId, value } = await fn();
      h.policy.admit(keyId);
      return { value };
    } catch (error) {
      h.dirty = true;
      if (!(error instanceof HsmFull) || attempt >= PAGE_IN_ATTEMPTS) throw error;
      await this.fullAt(h, target);
      return undefined;
    } finally {
      release();
    }
  }

  /**
   * A move made without the pager (an operator's raw import or export, a delete, a transfer, a
   * zeroization, an HSM registered): the pager reads residency from the ledger again before its next move.
   */
  changedOutside(): void {
    for (const h of this.hsms.values()) h.dirty = true;
  }

  /**
   * A move of one key made without the pager (raw import, raw export, delete, transfer): its own
   * state says where it is now, so the counts follow it without reading the read side again.
   */
  async changedKey(keyId: string): Promise<void> {
    let state: key.KeyState;
    try {
      state = (await this.core.foldKey(keyId)).state;
    } catch {
      this.changedOutside();
      return;
    }
    for (const h of this.hsms.values()) {
      const r = state.status === 'live' ? state.residency[h.hsmId] : undefined;
      if (r?.status === 'live') h.policy.admit(keyId);
      else h.policy.remove(keyId);
      // A disabled copy awaiting deletion takes a slot the policy does not page.
      if (r !== undefined && r.status !== 'live') h.dirty = true;
    }
  }

  /**
   * Records the pin (or its removal). A key pinned while paged out is paged in first, and the pin
   * is recorded only once it is resident: a pin that cannot be kept (a full HSM of pinned keys)
   * is refused and leaves nothing behind.
   */
  async setPinned(keyId: string, pinned: boolean, actor: Actor): Promise<void> {
    const set = await this.pinnedKeys();
    const record = async () => {
      const ctx = this.core.context(actor);
      await this.core.decideKey(keyId, { type: 'SetPinned', data: { keyId, pinned, at: ctx.now() } }, ctx);
    };
    if (!pinned || !this.enabled) {
      await record();
      if (pinned) set.add(keyId);
      else set.delete(keyId);
      return;
    }
    // Pinned here meanwhile, so the page-in's key is never the victim of another page-in.
    const wasPinned = set.has(keyId);
    set.add(keyId);
    try {
      const { state } = await liveKey(this.core, keyId, 'pinning');
      if ((await this.liveHolder(state, undefined)) === undefined && currentBlobOf(state) !== undefined)
        await this.pageIn(keyId, undefined, actor);
      await record();
    } catch (error) {
      if (!wasPinned) set.delete(keyId);
      throw error;
    }
  }

  /** Pages each key in onto `hsmRef` unless it is resident there already; one outcome per key, in order. */
  async prefetch(hsmRef: string, keyIds: readonly string[], actor: Actor): Promise<PrefetchOutcome[]> {
    const target = await this.core.registry.active(hsmRef);
    const outcomes: PrefetchOutcome[] = [];
    for (const keyId of keyIds) {
      try {
        const { state } = await liveKey(this.core, keyId, 'prefetching');
        const here = state.residency[target.hsmId];
        if (here?.status === 'live') {
          outcomes.push({ keyId, outcome: 'resident', hsm: target.name });
          continue;
        }
        const elsewhere = await this.liveHolder(state, undefined);
        // A hashsig key lives on one HSM only; it is used where it is.
        if (elsewhere !== undefined && state.keyType === 'hashsig') {
          outcomes.push({ keyId, outcome: 'resident-elsewhere', hsm: elsewhere.name });
          continue;
        }
        // Another move of the key may have been under way: look until it is on the target.
        for (let attempt = 0; attempt < PAGE_IN_ATTEMPTS; attempt++) {
          if ((await this.pageIn(keyId, target.hsmId, actor)) !== undefined) break;
        }
        outcomes.push({ keyId, outcome: 'paged-in', hsm: target.name });
      } catch (error) {
        outcomes.push({ keyId, outcome: 'failed', error });
      }
    }
    return outcomes;
  }

  private async doPageIn(keyId: string, hsmRef: string | undefined, actor: Actor): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const { state } = await liveKey(this.core, keyId, 'paging in');
      // Resident already (an operator's import, a page-in that finished as this one started).
      const holder = await this.liveHolder(state, hsmRef);
      if (holder !== undefined) return holder.name;
      const blob = currentBlobOf(state);
      if (blob === undefined || blob.kekDomainId === null)
        throw new key.NotResident(keyId, 'any HSM', `paging in key ${keyId}`, 'it has no current blob');
      const target = await this.target(keyId, blob.kekDomainId, hsmRef);
      this.forHsm(target).policy.record(keyId);
      const done = await this.inReservedSlot(target, actor, `paging in key ${keyId}`, attempt, async () => {
        await rawImport(this.core, keyId, { hsm: target.hsmId, reason: 'paging' }, actor);
        return { keyId, value: target.name };
      });
      if (done !== undefined) return done.value;
    }
  }

  /**
   * The HSM answered NO_KEY_SLOTS_AVAILABLE where the pager counted a free slot: it holds keys the
   * ledger does not place there (the audit key, a key made outside keyledger) or has fewer slots
   * than recorded. What it holds now, by the ledger's count, becomes its capacity.
   */
  private async fullAt(h: HsmPaging, target: ActiveHsm): Promise<void> {
    // On a ledger other instances write too, another instance's move took the slot between this
    // pager's count and its HSM call: the HSM is not smaller, and the next count (which asks the
    // HSM what it holds) sees that move.
    if (!soleWriter(this.core.store)) {
      h.dirty = true;
      await new Promise((resolve) => setTimeout(resolve, FULL_ELSEWHERE_MS));
      return;
    }
    await this.resync(h);
    // Less this caller's own slot, still reserved.
    const holds = Math.max(1, heldOn(h) - 1);
    if (holds >= h.capacity) return;
    this.logger.warn(
      `${target.name} has no free key slot with ${holds} keys of the ledger on it (capacity ${h.capacity}): paging as if it had ${holds}`,
    );
    h.capacity = holds;
    h.policy.resize(holds);
  }

  /** The HSM to page into: the one named, else the active HSM of the KEK domain with the most free slots. */
  private async target(keyId: string, kekDomainId: string, hsmRef: string | undefined): Promise<ActiveHsm> {
    if (hsmRef !== undefined) return this.core.registry.active(hsmRef);
    if ([...this.hsms.values()].some((h) => h.dirty) || this.hsms.size === 0) await this.core.reads.catchUp();
    let best: { hsmId: string; free: number; load: number } | undefined;
    for (const doc of this.core.reads.hsms()) {
      if (doc.state.status !== 'active' || hsmDomain.kekDomainOf(doc.state) !== kekDomainId) continue;
      const h = this.forHsmId(doc.hsmId, doc.registered.capacity);
      if (h.dirty) await this.resync(h);
      const held = heldOn(h);
      const candidate = { hsmId: doc.hsmId, free: h.capacity - held, load: held / h.capacity };
      if (
        best === undefined ||
        candidate.free > best.free ||
        (candidate.free === best.free && candidate.load < best.load)
      )
        best = candidate;
    }
    if (best === undefined)
      throw new key.NotResident(
        keyId,
        'any HSM',
        `paging in key ${keyId}`,
        `no active HSM is in its blob's KEK domain ${kekDomainId}`,
      );
    return this.core.registry.active(best.hsmId);
  }

  /**
   * Keeps one slot of `target` for the caller, paging out the policy's victims until there is
   * one; the returned function gives it back (once the read side shows what the caller did).
   */
  private async reserve(target: ActiveHsm, actor: Actor, purpose: string): Promise<() => void> {
    const h = this.forHsm(target);
    // On a ledger other instances write too (PostgreSQL), their pagers move keys on the same HSMs:
    // what this one knows is brought up to date from the ledger before it counts free slots.
    if (!soleWriter(this.core.store)) h.dirty = true;
    const busyElsewhere = new Set<string>();
    for (;;) {
      if (h.dirty) await this.resync(h);
      const held = heldOn(h);
      if (held < h.capacity) {
        h.reserved++;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          h.reserved--;
          for (const wake of h.released) wake();
          h.released.clear();
        };
      }
      const pinned = await this.pinnedKeys();
      const victim = h.policy.victim(
        (k) => !pinned.has(k) && !this.inUse.has(k) && !this.moving.has(k) && !busyElsewhere.has(k),
      );
      if (victim === undefined && busyElsewhere.size > 0) {
        // Keys other instances are using: they will be free soon; look again from the ledger.
        busyElsewhere.clear();
        await new Promise((resolve) => setTimeout(resolve, BUSY_ELSEWHERE_MS));
        h.dirty = true;
        continue;
      }
      if (victim === undefined) {
        // Moves under way end soon: wait for one and count again (from the ledger: a key a
        // reservation brought in may have been counted twice meanwhile).
        if (h.leaving.size > 0 || h.reserved > 0) {
          await Promise.race([...h.leaving, new Promise<void>((wake) => h.released.add(wake))]);
          h.dirty = true;
          continue;
        }
        // Keys in use are signing (or their requests are about to): one will be free soon. Only
        // an HSM whose keys are all pinned refuses at once.
        if (h.policy.residents().some((k) => this.inUse.has(k) && !pinned.has(k))) {
          await new Promise<void>((wake) => this.freed.add(wake));
          continue;
        }
        throw new HsmFull(
          target.name,
          purpose,
          `all ${held} of its ${h.capacity} slots are held by keys that are pinned, in use or being moved; unpin a key or add an HSM to its KEK domain`,
          false,
        );
      }
      // On a shared ledger, only a key no instance is signing with is paged out.
      const locks = holdsLocks(this.core.store) ? this.core.store : undefined;
      const unlock = locks === undefined ? async () => undefined : await locks.tryLock(useLock(victim));
      if (unlock === undefined) {
        busyElsewhere.add(victim);
        continue;
      }
      await this.pageOut(victim, target, actor, h)
        .catch((error: unknown) => {
          this.logger.warn(
            `paging out key ${victim} from ${target.name} failed: ${(error as Error).message}`,
          );
          h.dirty = true;
        })
        .finally(unlock);
    }
  }

  /** Pages `keyId` out of `target`: PKEY_DELETE for a clean RSA/EC key, else raw export then delete. */
  private pageOut(keyId: string, target: ActiveHsm, actor: Actor, h: HsmPaging): Promise<void> {
    const move = (async () => {
      const { state } = await liveKey(this.core, keyId, 'paging out');
      const r = state.residency[target.hsmId];
      if (r?.status !== 'live') {
        h.dirty = true;
        return;
      }
      const ctx = this.core.context(actor);
      if (state.keyType !== 'hashsig' && currentBlobOf(state) !== undefined)
        await evictFromHsm(this.core, keyId, target, r.hsmKeyName, 'paging', ctx);
      else await rawExport(this.core, keyId, { hsm: target.hsmId, evict: true, reason: 'paging' }, actor);
      h.policy.remove(keyId);
    })().finally(() => {
      this.moving.delete(keyId);
      h.leaving.delete(settled);
    });
    // What others wait for: the end of the move, however it ended (its caller sees the error).
    const settled = move.then(noMove, noMove);
    this.moving.set(keyId, move);
    h.leaving.add(settled);
    return move;
  }

  /** The active HSM holding a live copy of the key (`hsmRef`'s, when given). */
  private async liveHolder(state: key.LiveKey, hsmRef: string | undefined): Promise<ActiveHsm | undefined> {
    if (hsmRef !== undefined) {
      const target = await this.core.registry.active(hsmRef);
      return state.residency[target.hsmId]?.status === 'live' ? target : undefined;
    }
    for (const r of Object.values(state.residency)) {
      if (r.status !== 'live') continue;
      const found = await this.core.registry.resolve(r.hsmId);
      if (found.status === 'active') return found as ActiveHsm;
    }
    return undefined;
  }

  /**
   * `use` of a key, paged in first if needed; on a ledger shared by several instances it holds the
   * key's shared use lock meanwhile, which a pager of any instance must take exclusively to page
   * the key out, so a key another instance is using, or has just paged in to use, stays.
   */
  private inUseEverywhere<T>(keyId: string, use: () => Promise<T>): Promise<T> {
    const store = this.core.store;
    return holdsLocks(store) ? store.withLock(useLock(keyId), use, 'shared') : use();
  }

  /**
   * Whether `error` (from using the key on `holder`) is the HSM not holding it because another
   * instance on a shared ledger moved it after this one folded the key: the ledger no longer
   * records that residency. Then the request looks again (and pages the key in) rather than
   * reporting drift. On the embedded ledger this process made every move, so never.
   */
  private async movedElsewhere(
    error: unknown,
    keyId: string,
    holder: ActiveHsm,
    before: key.LiveKey,
  ): Promise<boolean> {
    if (!(error instanceof HsmStateMismatch) || soleWriter(this.core.store)) return false;
    const was = before.residency[holder.hsmId];
    // The other instance deletes from the HSM before it records the deletion: give it a moment.
    for (let look = 0; look < MOVED_LOOKS; look++) {
      if (look > 0) await new Promise((resolve) => setTimeout(resolve, MOVED_LOOK_MS));
      const { state } = await liveKey(this.core, keyId, 'signing');
      const now = state.residency[holder.hsmId];
      if (now?.status !== 'live' || now.hsmKeyName !== was?.hsmKeyName) return true;
    }
    return false;
  }

  /** The policy's residents from the ledger's residency of the HSM (read side, caught up). */
  private async resync(h: HsmPaging): Promise<void> {
    h.dirty = false;
    const head = await this.core.store.headPosition();
    await this.core.reads.catchUp();
    // A read side that did not catch up (it gives up after a bounded wait under load) lacks the
    // latest moves: its keys are added, but none is taken away on its word (counting a key that
    // left costs a needless page-out at worst; missing one that came would overfill the HSM).
    const fresh = this.core.reads.position() >= head;
    const residency = this.core.reads.residency(h.hsmId);
    const live = new Set<string>();
    for (const [k, r] of Object.entries(residency.keys)) if (r.status === 'live') live.add(k);
    if (fresh) for (const k of h.policy.residents()) if (!live.has(k)) h.policy.remove(k);
    for (const k of live) if (!h.policy.has(k)) h.policy.admit(k);
    h.others = residency.count - live.size;
    // Other instances' page-ins under way are on the HSM before they are in the ledger: on a shared
    // ledger the HSM's own list counts too (this instance's own page-in under way may be counted
    // twice: a needless page-out at worst).
    if (!soleWriter(this.core.store)) {
      const target = await this.core.registry.active(h.hsmId);
      const onHsm = (await this.core.registry.withHsm(target, (client) => client.match({}))).length;
      h.others = Math.max(h.others, onHsm - h.policy.size);
    }
  }

  private forHsm(target: ActiveHsm): HsmPaging {
    return this.forHsmId(target.hsmId, target.capacity);
  }

  private forHsmId(hsmId: string, capacity: number): HsmPaging {
    let h = this.hsms.get(hsmId);
    if (h === undefined) {
      h = {
        hsmId,
        policy: paging.createPolicy(this.config.policy, capacity),
        capacity,
        reserved: 0,
        others: 0,
        dirty: true,
        leaving: new Set(),
        released: new Set(),
      };
      this.hsms.set(hsmId, h);
    }
    return h;
  }

  private async pinnedKeys(): Promise<Set<string>> {
    if (this.pinned === undefined) {
      await this.core.reads.catchUp();
      const pinned = new Set<string>();
      for (const doc of this.core.reads.keys())
        if (doc.custody.status === 'live' && doc.custody.pinned === true) pinned.add(doc.keyId);
      this.pinned ??= pinned;
    }
    return this.pinned;
  }
}
