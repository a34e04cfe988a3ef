/**
 * The soft HSM engine: one typed method per libhal RPC (docs/libhal-rpc.md §3.2), in process, no
 * sockets. Each method takes the request's client handle and the RPC's arguments as the codec
 * decodes them (`RpcArgs<N>`), returns what the codec encodes (`RpcResult<N>`), and fails with the
 * adapter's taxonomy (`HalStatusError`, one class per libhal status) after the checks the
 * reference lists, in its order. As in libhal, handle-based calls authorise with the client that
 * created the handle, not the request's client word (§3.1); those methods still take it, unused.
 *
 * State lives in a directory (keystore/state-dir.ts); `SoftHsm.open` takes the directory's lock
 * and `close()` releases it. All methods but `login` are synchronous, so calls never interleave.
 */
import type { Decoded, RpcArgs, RpcResult } from '../hsm-adapter/codec';
import { User, type RpcName } from '../hsm-adapter/constants';
import type { HalStatusError } from '../hsm-adapter/errors';
import type { EngineContext } from './engine-context';
import { HashSlots } from './hash-slots';
import { TopTreeMemo } from './hashsig-keys';
import { Keystore } from './keystore/keystore';
import { readMasterKek } from './keystore/mkm';
import { lockStateDir, recoverStateDir, requireInitialized, type StateLock } from './keystore/state-dir';
import { TokenStore } from './keystore/token-store';
import { LoginTable } from './login-table';
import * as hash from './ops-hash';
import * as attrs from './ops-attributes';
import * as keys from './ops-keys';
import * as misc from './ops-misc';
import * as signing from './ops-sign';
import * as transfer from './ops-transfer';
import { resolveOptions, type SoftHsmOptions } from './options';
import { PinBook } from './pin-book';
import { PkeySlots } from './pkey-slots';
import { toStatusError } from './status';

type Args<N extends RpcName> = RpcArgs<N>;
/** What the codec encodes for RPC N, with byte fields as Buffers (what the engine returns). */
type Result<N extends RpcName> = Decoded<RpcResult<N>>;

export class SoftHsm {
  private closed = false;

  private constructor(
    private readonly ctx: EngineContext,
    private readonly lock: StateLock,
    /** The state directory this instance has open. */
    readonly stateDir: string,
  ) {}

  /**
   * Opens an initialised state directory (see `keyledger soft-hsm init`): takes its lock, finishes
   * what a crash interrupted, and reads the PINs, the master KEK and every token record. Throws
   * `SoftHsmStateError` naming the file for a corrupt state, or if another process has it open.
   */
  static open(stateDir: string, options: SoftHsmOptions = {}): SoftHsm {
    const resolved = resolveOptions(options);
    requireInitialized(stateDir);
    const lock = lockStateDir(stateDir);
    try {
      const pins = new PinBook(stateDir, recoverStateDir(stateDir));
      const token = TokenStore.open(stateDir);
      const logins = new LoginTable();
      const keystore = new Keystore(token, readMasterKek(stateDir), resolved.capacity, (c) =>
        logins.is(c, User.WHEEL),
      );
      const ctx: EngineContext = {
        options: resolved,
        logins,
        pins,
        slots: new PkeySlots(),
        hashes: new HashSlots(),
        keystore,
        hssCache: new Map(),
        topTrees: new TopTreeMemo(),
        noncePools: new Map(),
      };
      return new SoftHsm(ctx, lock, stateDir);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** Forgets the master KEK and every handle, and releases the state directory. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.keystore.wipeKek();
    this.ctx.slots.clear();
    this.ctx.hashes.clear();
    this.ctx.hssCache.clear();
    this.ctx.topTrees.clear();
    for (const pool of this.ctx.noncePools.values()) pool.close();
    this.ctx.noncePools.clear();
    this.lock.release();
  }

  /** Whether EXPORT_RAW / IMPORT_RAW are served (else they answer RPC_BAD_FUNCTION, §9.2). */
  get rawExport(): boolean {
    return this.ctx.options.rawExport;
  }

  /** Token keys stored, and the capacity. */
  get tokenKeys(): { count: number; capacity: number } {
    return { count: this.ctx.keystore.tokenCount, capacity: this.ctx.options.capacity };
  }

  private run<T>(rpc: string, fn: () => T): T {
    if (this.closed) throw new Error(`soft HSM ${this.stateDir} is closed`);
    try {
      return fn();
    } catch (error) {
      throw this.convert(error, rpc);
    }
  }

  private convert(error: unknown, rpc: string): HalStatusError {
    const { error: status, unexpected } = toStatusError(error, rpc);
    if (unexpected) {
      const e = error as { name?: unknown; code?: unknown; message?: unknown };
      this.ctx.options.log(
        `soft-hsm: ${rpc} failed unexpectedly (${String(e?.name ?? 'Error')}${e?.code ? ` ${String(e.code)}` : ''}): ${String(e?.message ?? error).slice(0, 200)}`,
      );
    }
    return status;
  }

  // --- misc and login (§3.3) ---------------------------------------------------------------------

  getVersion(_client: number, _args: Args<'GET_VERSION'> = {}): Result<'GET_VERSION'> {
    return this.run('GET_VERSION', () => ({ version: misc.getVersion() }));
  }

  getRandom(_client: number, args: Args<'GET_RANDOM'>): Result<'GET_RANDOM'> {
    return this.run('GET_RANDOM', () => ({ random: misc.getRandom(this.ctx, args.length) }));
  }

  setPin(client: number, args: Args<'SET_PIN'>): Result<'SET_PIN'> {
    return this.run('SET_PIN', () => (misc.setPin(this.ctx, client, args.user, args.pin), {}));
  }

  /** Asynchronous: a wrong PIN is answered after the configured delay. */
  async login(client: number, args: Args<'LOGIN'>): Promise<Result<'LOGIN'>> {
    if (this.closed) throw new Error(`soft HSM ${this.stateDir} is closed`);
    try {
      await misc.login(this.ctx, client, args.user, args.pin);
      return {};
    } catch (error) {
      throw this.convert(error, 'LOGIN');
    }
  }

  logout(client: number, _args: Args<'LOGOUT'> = {}): Result<'LOGOUT'> {
    return this.run('LOGOUT', () => (misc.logout(this.ctx, client), {}));
  }

  logoutAll(_client: number, _args: Args<'LOGOUT_ALL'> = {}): Result<'LOGOUT_ALL'> {
    return this.run('LOGOUT_ALL', () => (misc.logoutAll(this.ctx), {}));
  }

  isLoggedIn(client: number, args: Args<'IS_LOGGED_IN'>): Result<'IS_LOGGED_IN'> {
    return this.run('IS_LOGGED_IN', () => (misc.isLoggedIn(this.ctx, client, args.user), {}));
  }

  // --- hash and HMAC (§3.3) ---------------------------------------------------------------------

  hashGetDigestLen(_client: number, args: Args<'HASH_GET_DIGEST_LEN'>): Result<'HASH_GET_DIGEST_LEN'> {
    return this.run('HASH_GET_DIGEST_LEN', () => ({ length: hash.getDigestLength(args.alg) }));
  }

  hashGetDigestAlgorithmId(
    _client: number,
    args: Args<'HASH_GET_DIGEST_ALGORITHM_ID'>,
  ): Result<'HASH_GET_DIGEST_ALGORITHM_ID'> {
    return this.run('HASH_GET_DIGEST_ALGORITHM_ID', () => hash.getDigestAlgorithmId(args.alg, args.lenMax));
  }

  hashGetAlgorithm(_client: number, args: Args<'HASH_GET_ALGORITHM'>): Result<'HASH_GET_ALGORITHM'> {
    return this.run('HASH_GET_ALGORITHM', () => ({ alg: hash.getAlgorithm(this.ctx, args.hash) }));
  }

  hashInitialize(_client: number, args: Args<'HASH_INITIALIZE'>): Result<'HASH_INITIALIZE'> {
    return this.run('HASH_INITIALIZE', () => ({ hash: hash.initialize(this.ctx, args.alg, args.key) }));
  }

  hashUpdate(_client: number, args: Args<'HASH_UPDATE'>): Result<'HASH_UPDATE'> {
    return this.run('HASH_UPDATE', () => (hash.update(this.ctx, args.hash, args.data), {}));
  }

  hashFinalize(_client: number, args: Args<'HASH_FINALIZE'>): Result<'HASH_FINALIZE'> {
    return this.run('HASH_FINALIZE', () => ({ digest: hash.finalize(this.ctx, args.hash, args.length) }));
  }

  // --- keys (§3.3, §4.3, §7) --------------------------------------------------------------------

  pkeyLoad(client: number, args: Args<'PKEY_LOAD'>): Result<'PKEY_LOAD'> {
    return this.run('PKEY_LOAD', () =>
      keys.loadKey(this.ctx, { client, session: args.session }, args.der, args.flags, 'PKEY_LOAD'),
    );
  }

  pkeyOpen(client: number, args: Args<'PKEY_OPEN'>): Result<'PKEY_OPEN'> {
    return this.run('PKEY_OPEN', () => ({
      pkey: keys.openKey(this.ctx, { client, session: args.session }, args.name),
    }));
  }

  pkeyGenerateRsa(client: number, args: Args<'PKEY_GENERATE_RSA'>): Result<'PKEY_GENERATE_RSA'> {
    return this.run('PKEY_GENERATE_RSA', () =>
      keys.generateRsa(
        this.ctx,
        { client, session: args.session },
        args.keyBits,
        args.publicExponent,
        args.flags,
      ),
    );
  }

  pkeyGenerateEc(client: number, args: Args<'PKEY_GENERATE_EC'>): Result<'PKEY_GENERATE_EC'> {
    return this.run('PKEY_GENERATE_EC', () =>
      keys.generateEc(this.ctx, { client, session: args.session }, args.curve, args.flags),
    );
  }

  pkeyGenerateHashsig(client: number, args: Args<'PKEY_GENERATE_HASHSIG'>): Result<'PKEY_GENERATE_HASHSIG'> {
    return this.run('PKEY_GENERATE_HASHSIG', () =>
      keys.generateHashsigKey(
        this.ctx,
        { client, session: args.session },
        { levels: args.hssLevels, lmsType: args.lmsType, lmotsType: args.lmotsType },
        args.flags,
      ),
    );
  }

  pkeyClose(_client: number, args: Args<'PKEY_CLOSE'>): Result<'PKEY_CLOSE'> {
    return this.run('PKEY_CLOSE', () => (keys.closeKey(this.ctx, args.pkey), {}));
  }

  pkeyDelete(_client: number, args: Args<'PKEY_DELETE'>): Result<'PKEY_DELETE'> {
    return this.run('PKEY_DELETE', () => (keys.deleteKey(this.ctx, args.pkey), {}));
  }

  pkeyGetKeyType(_client: number, args: Args<'PKEY_GET_KEY_TYPE'>): Result<'PKEY_GET_KEY_TYPE'> {
    return this.run('PKEY_GET_KEY_TYPE', () => ({ type: keys.keyType(this.ctx, args.pkey) }));
  }

  pkeyGetKeyCurve(_client: number, args: Args<'PKEY_GET_KEY_CURVE'>): Result<'PKEY_GET_KEY_CURVE'> {
    return this.run('PKEY_GET_KEY_CURVE', () => ({ curve: keys.keyCurve(this.ctx, args.pkey) }));
  }

  pkeyGetKeyFlags(_client: number, args: Args<'PKEY_GET_KEY_FLAGS'>): Result<'PKEY_GET_KEY_FLAGS'> {
    return this.run('PKEY_GET_KEY_FLAGS', () => ({ flags: keys.keyFlags(this.ctx, args.pkey) }));
  }

  /** Never fails: 0 stands for any error (§3.3). */
  pkeyGetPublicKeyLen(
    _client: number,
    args: Args<'PKEY_GET_PUBLIC_KEY_LEN'>,
  ): Result<'PKEY_GET_PUBLIC_KEY_LEN'> {
    return this.run('PKEY_GET_PUBLIC_KEY_LEN', () => ({
      length: signing.publicKeyLength(this.ctx, args.pkey),
    }));
  }

  pkeyGetPublicKey(_client: number, args: Args<'PKEY_GET_PUBLIC_KEY'>): Result<'PKEY_GET_PUBLIC_KEY'> {
    return this.run('PKEY_GET_PUBLIC_KEY', () => ({
      der: signing.publicKey(this.ctx, args.pkey, args.derMax),
    }));
  }

  pkeySign(_client: number, args: Args<'PKEY_SIGN'>): Result<'PKEY_SIGN'> {
    return this.run('PKEY_SIGN', () => ({
      signature: signing.sign(this.ctx, args.pkey, args.hash, args.input, args.sigMax),
    }));
  }

  pkeyVerify(_client: number, args: Args<'PKEY_VERIFY'>): Result<'PKEY_VERIFY'> {
    return this.run(
      'PKEY_VERIFY',
      () => (signing.verifySignature(this.ctx, args.pkey, args.hash, args.input, args.signature), {}),
    );
  }

  pkeyMatch(client: number, args: Args<'PKEY_MATCH'>): Result<'PKEY_MATCH'> {
    return this.run('PKEY_MATCH', () => attrs.match(this.ctx, client, args));
  }

  pkeySetAttributes(_client: number, args: Args<'PKEY_SET_ATTRIBUTES'>): Result<'PKEY_SET_ATTRIBUTES'> {
    return this.run(
      'PKEY_SET_ATTRIBUTES',
      () => (attrs.setAttributes(this.ctx, args.pkey, args.attributes), {}),
    );
  }

  pkeyGetAttributes(_client: number, args: Args<'PKEY_GET_ATTRIBUTES'>): Result<'PKEY_GET_ATTRIBUTES'> {
    return this.run('PKEY_GET_ATTRIBUTES', () =>
      attrs.getAttributes(this.ctx, args.pkey, args.types, args.bufferLen),
    );
  }

  // --- export / import (§5, §7.6, §9.2) ----------------------------------------------------------

  pkeyExport(_client: number, args: Args<'PKEY_EXPORT'>): Result<'PKEY_EXPORT'> {
    return this.run('PKEY_EXPORT', () =>
      transfer.exportKey(this.ctx, args.pkey, args.kekek, args.pkcs8Max, args.kekMax),
    );
  }

  pkeyImport(client: number, args: Args<'PKEY_IMPORT'>): Result<'PKEY_IMPORT'> {
    return this.run('PKEY_IMPORT', () =>
      transfer.importKey(
        this.ctx,
        { client, session: args.session },
        args.kekek,
        args.pkcs8,
        args.kek,
        args.flags,
      ),
    );
  }

  exportRaw(_client: number, args: Args<'EXPORT_RAW'>): Result<'EXPORT_RAW'> {
    return this.run('EXPORT_RAW', () => ({ blob: transfer.exportRaw(this.ctx, args.pkey, args.derMax) }));
  }

  importRaw(client: number, args: Args<'IMPORT_RAW'>): Result<'IMPORT_RAW'> {
    return this.run('IMPORT_RAW', () =>
      transfer.importRaw(this.ctx, { client, session: args.session }, args.blob, args.flags),
    );
  }
}
