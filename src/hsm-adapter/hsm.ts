/**
 * The typed HSM client: one method per libhal RPC the ledger uses (docs/libhal-rpc.md §3.3, §5, §7.5,
 * §9.2), over a small pool of connections (§1.3: login state and volatile keys belong to one
 * connection, so every connection logs in with the same credentials before it is used).
 *
 * Key names are canonical UUID strings here and 16 bytes on the wire. Errors are the taxonomy's
 * (errors.ts) with `rpc` set. The PIN is kept in memory only, to log in again on a new connection;
 * it is never logged or put in a message, and zeroed on logout and disconnect.
 */
import { RPC, type Decoded, type Rpc, type RpcArgs, type RpcResult } from './codec';
import {
  HAL_HANDLE_NONE,
  HAL_KS_WRAPPED_KEYSIZE,
  HAL_UUID_SIZE,
  MatchState,
  User,
  type RpcName,
} from './constants';
import { HsmProtocolError, type HalStatusName, type HsmError } from './errors';
import { checkBytes, checkCount, checkUser, exponentBytes, pinBytes, signArgs } from './hsm-args';
import {
  DEFAULT_KEK_MAX,
  DEFAULT_MATCH_PAGE,
  DEFAULT_SLOW_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  MAX_MATCH_PAGE,
  MAX_RESULT_BYTES,
  type AttributeUpdate,
  type HalUser,
  type HsmOptions,
  type KeyRef,
  type MatchFilter,
  type SignInput,
} from './hsm-types';
import { uuidFromBytes, uuidToBytes } from './hsm-uuid';
import { checkTimeout, ConnectionPool, connectionFactory, defaultEndpoint, errorKind } from './transport';
import type { RpcConnection } from './transport';

/** A bound on PKEY_MATCH results, far above any keystore (§4.5), so a broken peer cannot page forever. */
const MATCH_LIMIT = 1_000_000;

/** RPCs that may run for minutes on an Alpha: keygen, tree rebuilds on import, record deletion. */
const SLOW: ReadonlySet<RpcName> = new Set([
  'PKEY_GENERATE_RSA',
  'PKEY_GENERATE_HASHSIG',
  'PKEY_IMPORT',
  'IMPORT_RAW',
  'PKEY_DELETE',
]);

interface Login {
  readonly user: HalUser;
  readonly pin: Buffer;
}

/** State the pooled client and its pinned views share. */
interface Shared {
  readonly pool: ConnectionPool;
  readonly timeoutMs: number;
  readonly slowTimeoutMs: number;
  login: Login | undefined;
  /** Bumped on every login and logout; a connection logs in again when its copy is stale. */
  generation: number;
  readonly synced: WeakMap<RpcConnection, number>;
}

function created(result: { pkey: number; name: Buffer }): KeyRef {
  return { handle: result.pkey, uuid: uuidFromBytes(result.name, 'name') };
}

/** The lengths of a GET_ATTRIBUTES length query (buffer_len 0). */
function lengthsOf(
  result: { lengths: { type: number; length: number }[] } | { attributes: unknown },
): { type: number; length: number }[] {
  if ('lengths' in result) return result.lengths;
  throw new HsmProtocolError(
    'PKEY_GET_ATTRIBUTES answered values to a length query',
    undefined,
    'PKEY_GET_ATTRIBUTES',
  );
}

function hasStatus(error: unknown, status: HalStatusName): boolean {
  return errorKind(error) === 'status' && (error as { status?: unknown }).status === status;
}

/** Codec errors do not know the RPC they were decoding; the client names it. */
function withRpc(error: unknown, rpc: RpcName): unknown {
  if (errorKind(error) !== undefined && (error as HsmError).rpc === undefined)
    (error as { rpc: string | undefined }).rpc = rpc;
  return error;
}

export class Hsm {
  private constructor(
    private readonly shared: Shared,
    private readonly pinned?: RpcConnection,
  ) {}

  /**
   * Connects (one connection at once, more on demand up to `poolSize`) and, with `pin`, logs in.
   * Fails fast: an unreachable endpoint or a wrong PIN rejects here.
   */
  static async connect(options: HsmOptions = {}): Promise<Hsm> {
    const timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const slowTimeoutMs = checkTimeout('slowTimeoutMs', options.slowTimeoutMs ?? DEFAULT_SLOW_TIMEOUT_MS);
    const connect = connectionFactory(options.endpoint ?? defaultEndpoint(), {
      connectTimeoutMs: options.connectTimeoutMs,
    });
    if (options.user !== undefined && options.pin === undefined)
      throw new RangeError('"user" given without "pin"');
    const login =
      options.pin === undefined
        ? undefined
        : { user: checkUser(options.user ?? User.NORMAL), pin: pinBytes(options.pin) };
    // Each new connection logs in (or not) as the client is at that moment.
    const pool = new ConnectionPool({ connect, size: options.poolSize, onConnect: (conn) => hsm.sync(conn) });
    const hsm: Hsm = new Hsm({ pool, timeoutMs, slowTimeoutMs, login, generation: 0, synced: new WeakMap() });
    try {
      await pool.withConnection(async () => undefined);
    } catch (error) {
      hsm.disconnect();
      throw withRpc(error, login ? 'LOGIN' : 'GET_VERSION');
    }
    return hsm;
  }

  /**
   * Runs `fn` with a view of this client pinned to one connection, for sequences that use volatile
   * keys or hash handles (e.g. load a KEKEK public key volatile, then EXPORT with it). Other callers
   * use the other connections meanwhile.
   */
  withConnection<T>(fn: (hsm: Hsm) => Promise<T>): Promise<T> {
    if (this.pinned) return fn(this);
    return this.shared.pool.withConnection(async (conn) => {
      await this.sync(conn);
      return fn(new Hsm(this.shared, conn));
    });
  }

  /** Closes every connection (muxd then logs each out, §1.3 step 5) and forgets the PIN. */
  disconnect(): void {
    this.forgetLogin();
    this.shared.pool.close();
  }

  // --- misc and login (§3.3) ---------------------------------------------------------------------

  async getVersion(): Promise<number> {
    return (await this.call('GET_VERSION', {})).version;
  }

  /** `length` bytes from the HSM's TRNG. */
  async getRandom(length: number): Promise<Buffer> {
    checkCount('length', length, 0, MAX_RESULT_BYTES);
    const { random } = await this.call('GET_RANDOM', { length });
    if (random.length !== length)
      throw new HsmProtocolError(
        `GET_RANDOM returned ${random.length} bytes, ${length} were asked for`,
        undefined,
        'GET_RANDOM',
      );
    return random;
  }

  /**
   * Logs in as `user`, on this connection now and on every other one before its next use; the PIN
   * is kept for connections made later. A wrong PIN throws the PIN_INCORRECT status error (after
   * the HSM's delay).
   */
  async login(user: HalUser, pin: string | Uint8Array): Promise<void> {
    const login = { user: checkUser(user), pin: pinBytes(pin) };
    try {
      await this.lease(async (conn) => {
        await this.exchange(conn, 'LOGIN', { user: login.user, pin: login.pin });
        this.shared.login?.pin.fill(0);
        this.shared.login = login;
        this.shared.synced.set(conn, ++this.shared.generation);
      }, false);
    } catch (error) {
      if (this.shared.login !== login) login.pin.fill(0);
      throw withRpc(error, 'LOGIN');
    }
  }

  /** Logs out (the HSM drops this connection's volatile keys); idle connections are closed, others log out before their next use. */
  async logout(): Promise<void> {
    await this.lease(async (conn) => {
      await this.exchange(conn, 'LOGOUT', {});
      this.forgetLogin();
      this.shared.synced.set(conn, this.shared.generation);
      this.shared.pool.closeIdle();
    }, false).catch((error: unknown) => {
      throw withRpc(error, 'LOGOUT');
    });
  }

  /** Whether this connection is logged in as exactly `user` (FORBIDDEN means no, §3.3). */
  async isLoggedIn(user: HalUser): Promise<boolean> {
    try {
      await this.call('IS_LOGGED_IN', { user: checkUser(user) });
      return true;
    } catch (error) {
      if (hasStatus(error, 'FORBIDDEN')) return false;
      throw error;
    }
  }

  /** Sets `user`'s PIN (§3.3 SET_PIN rules); if it is the logged-in user's, later connections use the new one. */
  async setPin(user: HalUser, pin: string | Uint8Array): Promise<void> {
    const bytes = pinBytes(pin);
    try {
      await this.call('SET_PIN', { user: checkUser(user), pin: bytes });
    } catch (error) {
      bytes.fill(0);
      throw error;
    }
    const login = this.shared.login;
    if (login && login.user === user) {
      login.pin.fill(0);
      this.shared.login = { user, pin: bytes };
    } else bytes.fill(0);
  }

  // --- hashing (§3.3), for signing with a hash handle --------------------------------------------

  async hashInitialize(alg: number, hmacKey: Uint8Array = Buffer.alloc(0)): Promise<number> {
    return (
      await this.call('HASH_INITIALIZE', {
        session: HAL_HANDLE_NONE,
        alg,
        key: checkBytes('hmacKey', hmacKey),
      })
    ).hash;
  }

  async hashUpdate(hash: number, data: Uint8Array): Promise<void> {
    await this.call('HASH_UPDATE', { hash, data: checkBytes('data', data) });
  }

  async hashFinalize(hash: number, length: number): Promise<Buffer> {
    checkCount('length', length, 1, MAX_RESULT_BYTES);
    return (await this.call('HASH_FINALIZE', { hash, length })).digest;
  }

  // --- keys (§3.3, §4.3, §7.5) -------------------------------------------------------------------

  generateRsa(bits: number, exponent: number | Uint8Array, flags: number): Promise<KeyRef> {
    return this.create('PKEY_GENERATE_RSA', {
      session: HAL_HANDLE_NONE,
      keyBits: bits,
      publicExponent: exponentBytes(exponent),
      flags,
    });
  }

  generateEc(curve: number, flags: number): Promise<KeyRef> {
    return this.create('PKEY_GENERATE_EC', { session: HAL_HANDLE_NONE, curve, flags });
  }

  /** Slow on an Alpha (every LM-OTS key is computed, §7.5): uses the slow timeout. */
  generateHashsig(levels: number, lmsType: number, lmotsType: number, flags: number): Promise<KeyRef> {
    return this.create('PKEY_GENERATE_HASHSIG', {
      session: HAL_HANDLE_NONE,
      hssLevels: levels,
      lmsType,
      lmotsType,
      flags,
    });
  }

  /** Stores a PKCS#8 private key or an SPKI public key. */
  load(der: Uint8Array, flags: number): Promise<KeyRef> {
    return this.create('PKEY_LOAD', { session: HAL_HANDLE_NONE, der: checkBytes('der', der, 1), flags });
  }

  /** A handle to the key named `uuid` (token store first, then volatile). */
  async open(uuid: string): Promise<number> {
    return (await this.call('PKEY_OPEN', { session: HAL_HANDLE_NONE, name: uuidToBytes(uuid) })).pkey;
  }

  /** Frees the handle; the key stays. */
  async close(handle: number): Promise<void> {
    await this.call('PKEY_CLOSE', { pkey: handle });
  }

  /** Deletes the key (hashsig: with its tree records) and frees the handle. */
  async delete(handle: number): Promise<void> {
    await this.call('PKEY_DELETE', { pkey: handle });
  }

  async getKeyType(handle: number): Promise<number> {
    return (await this.call('PKEY_GET_KEY_TYPE', { pkey: handle })).type;
  }

  async getKeyCurve(handle: number): Promise<number> {
    return (await this.call('PKEY_GET_KEY_CURVE', { pkey: handle })).curve;
  }

  async getKeyFlags(handle: number): Promise<number> {
    return (await this.call('PKEY_GET_KEY_FLAGS', { pkey: handle })).flags;
  }

  /**
   * The key's SubjectPublicKeyInfo DER. PKEY_GET_PUBLIC_KEY_LEN cannot report errors (it answers
   * length 0, §3.3), so on 0 the key is asked for with room for any key, and the HSM names the error.
   */
  getPublicKey(handle: number): Promise<Buffer> {
    return this.session(async (conn) => {
      const { length } = await this.exchange(conn, 'PKEY_GET_PUBLIC_KEY_LEN', { pkey: handle });
      const derMax =
        length === 0 ? HAL_KS_WRAPPED_KEYSIZE : checkCount('public key length', length, 1, MAX_RESULT_BYTES);
      return (await this.exchange(conn, 'PKEY_GET_PUBLIC_KEY', { pkey: handle, derMax })).der;
    });
  }

  /**
   * Signs (§3.3): RSA over the DigestInfo given as data (or built from a hash handle); ECDSA over
   * the digest, raw r‖s; hashsig over the message, an RFC 8554 HSS signature.
   */
  async sign(
    handle: number,
    input: SignInput,
    options: { sigMax?: number; timeoutMs?: number } = {},
  ): Promise<Buffer> {
    const sigMax = checkCount('sigMax', options.sigMax ?? MAX_RESULT_BYTES, 1, MAX_RESULT_BYTES);
    const timeoutMs =
      options.timeoutMs === undefined ? undefined : checkTimeout('timeoutMs', options.timeoutMs);
    return (await this.call('PKEY_SIGN', { pkey: handle, ...signArgs(input), sigMax }, timeoutMs)).signature;
  }

  /** True if the signature verifies; false on INVALID_SIGNATURE (17); any other status throws. */
  async verify(handle: number, input: SignInput, signature: Uint8Array): Promise<boolean> {
    try {
      await this.call('PKEY_VERIFY', {
        pkey: handle,
        ...signArgs(input),
        signature: checkBytes('signature', signature, 1),
      });
      return true;
    } catch (error) {
      if (hasStatus(error, 'INVALID_SIGNATURE')) return false;
      throw error;
    }
  }

  /**
   * Names of every key matching `filter`, following all PKEY_MATCH pages on one connection (§3.3:
   * repeat with the returned state and the last name while a page is full). Volatile keys of other
   * connections are visible only to WHEEL.
   */
  match(filter: MatchFilter = {}): Promise<string[]> {
    const resultMax = checkCount('pageSize', filter.pageSize ?? DEFAULT_MATCH_PAGE, 1, MAX_MATCH_PAGE);
    const query = {
      session: HAL_HANDLE_NONE,
      type: filter.type ?? 0,
      curve: filter.curve ?? 0,
      mask: filter.mask ?? 0,
      flags: filter.flags ?? 0,
      attributes: filter.attributes ?? [],
      resultMax,
    };
    return this.session(async (conn) => {
      const names: string[] = [];
      const seen = new Set<string>();
      let state: number = MatchState.START;
      let previous: Uint8Array = Buffer.alloc(HAL_UUID_SIZE);
      for (;;) {
        const page = await this.exchange(conn, 'PKEY_MATCH', { ...query, state, previous });
        if (page.state > MatchState.DONE)
          throw new HsmProtocolError(
            `PKEY_MATCH returned unknown state ${page.state}`,
            undefined,
            'PKEY_MATCH',
          );
        for (const name of page.names) {
          const uuid = uuidFromBytes(name, 'name');
          if (seen.has(uuid))
            throw new HsmProtocolError(`PKEY_MATCH returned ${uuid} twice`, undefined, 'PKEY_MATCH');
          seen.add(uuid);
          names.push(uuid);
        }
        if (page.names.length < resultMax) return names;
        if (names.length > MATCH_LIMIT)
          throw new HsmProtocolError(
            `PKEY_MATCH kept paging past ${MATCH_LIMIT} names`,
            undefined,
            'PKEY_MATCH',
          );
        state = page.state;
        previous = page.names[page.names.length - 1];
      }
    });
  }

  /** Each attribute's length, 0 if the key lacks it (GET_ATTRIBUTES with buffer_len 0, §3.3). */
  async getAttributeLengths(
    handle: number,
    types: readonly number[],
  ): Promise<{ type: number; length: number }[]> {
    return lengthsOf(await this.call('PKEY_GET_ATTRIBUTES', { pkey: handle, types, bufferLen: 0 }));
  }

  /**
   * The values of `types`, in that order. Asks for the lengths first so the value buffer is exactly
   * the size needed; an absent attribute throws ATTRIBUTE_NOT_FOUND (40).
   */
  getAttributes(handle: number, types: readonly number[]): Promise<{ type: number; value: Buffer }[]> {
    checkCount('types.length', types.length, 1, Math.floor(MAX_RESULT_BYTES / 8));
    return this.session(async (conn) => {
      const lengths = lengthsOf(
        await this.exchange(conn, 'PKEY_GET_ATTRIBUTES', { pkey: handle, types, bufferLen: 0 }),
      );
      // buffer_len 0 would ask for lengths again; 1 lets the HSM report an absent attribute itself.
      const bufferLen = Math.max(
        1,
        lengths.reduce((sum, a) => sum + a.length, 0),
      );
      const got = await this.exchange(conn, 'PKEY_GET_ATTRIBUTES', { pkey: handle, types, bufferLen });
      if ('attributes' in got) return got.attributes;
      throw new HsmProtocolError(
        'PKEY_GET_ATTRIBUTES answered lengths to a value query',
        undefined,
        'PKEY_GET_ATTRIBUTES',
      );
    });
  }

  /** Sets attributes; a null value deletes one (§3.3). */
  async setAttributes(handle: number, attributes: readonly AttributeUpdate[]): Promise<void> {
    checkCount('attributes.length', attributes.length, 1, Math.floor(MAX_RESULT_BYTES / 8));
    await this.call('PKEY_SET_ATTRIBUTES', { pkey: handle, attributes });
  }

  // --- transit export / import (§5) --------------------------------------------------------------

  /**
   * Exports `handle` under a fresh KEK that is encrypted to the KEKEK `kekek` (an RSA key with
   * KEYENCIPHERMENT, usually a loaded public key): two DER EncryptedPrivateKeyInfo blobs (§5.3).
   * For a hashsig key the HSM splits the remaining range with the copy (§7.6).
   */
  async export(
    handle: number,
    kekek: number,
    options: { pkcs8Max?: number; kekMax?: number } = {},
  ): Promise<{ pkcs8: Buffer; kek: Buffer }> {
    // Each within the packet; if both together are not, the HSM answers RPC_PACKET_OVERFLOW (§5.2).
    const pkcs8Max = checkCount('pkcs8Max', options.pkcs8Max ?? HAL_KS_WRAPPED_KEYSIZE, 0, MAX_RESULT_BYTES);
    const kekMax = checkCount('kekMax', options.kekMax ?? DEFAULT_KEK_MAX, 0, MAX_RESULT_BYTES);
    return this.call('PKEY_EXPORT', { pkey: handle, kekek, pkcs8Max, kekMax });
  }

  /** Imports an exported key with the private KEKEK `kekek`; the new key gets `flags` (they are not in the blobs, §5.4). */
  import(kekek: number, pkcs8: Uint8Array, kek: Uint8Array, flags: number): Promise<KeyRef> {
    return this.create('PKEY_IMPORT', {
      session: HAL_HANDLE_NONE,
      kekek,
      pkcs8: checkBytes('pkcs8', pkcs8, 1),
      kek: checkBytes('kek', kek, 1),
      flags,
    });
  }

  // --- raw export / import (§9.2) ----------------------------------------------------------------

  /** The key as the keystore holds it, wrapped under the HSM's master KEK. A hashsig source is left unable to sign. */
  async exportRaw(handle: number, derMax: number = HAL_KS_WRAPPED_KEYSIZE): Promise<Buffer> {
    checkCount('derMax', derMax, 1, MAX_RESULT_BYTES);
    return (await this.call('EXPORT_RAW', { pkey: handle, derMax })).blob;
  }

  /** Imports a raw blob; only an HSM with the same master KEK can unwrap it (else a KEYWRAP_* status). */
  importRaw(blob: Uint8Array, flags: number): Promise<KeyRef> {
    return this.create('IMPORT_RAW', { session: HAL_HANDLE_NONE, blob: checkBytes('blob', blob, 1), flags });
  }

  /**
   * Whether the firmware has EXPORT_RAW (§9.2 probe): EXPORT_RAW of handle 0 answers KEY_NOT_FOUND
   * (21) where it exists and RPC_BAD_FUNCTION (30) where it does not. Any other answer throws.
   */
  async probeRawExport(): Promise<boolean> {
    try {
      await this.call('EXPORT_RAW', { pkey: HAL_HANDLE_NONE, derMax: HAL_KS_WRAPPED_KEYSIZE });
    } catch (error) {
      if (hasStatus(error, 'RPC_BAD_FUNCTION')) return false;
      if (hasStatus(error, 'KEY_NOT_FOUND')) return true;
      throw error;
    }
    throw new HsmProtocolError(
      'EXPORT_RAW of pkey handle 0 succeeded; the HSM cannot be probed',
      undefined,
      'EXPORT_RAW',
    );
  }

  // --- plumbing ----------------------------------------------------------------------------------

  private async create<
    N extends
      | 'PKEY_LOAD'
      | 'PKEY_GENERATE_RSA'
      | 'PKEY_GENERATE_EC'
      | 'PKEY_GENERATE_HASHSIG'
      | 'PKEY_IMPORT'
      | 'IMPORT_RAW',
  >(name: N, args: RpcArgs<N>): Promise<KeyRef> {
    return created((await this.call(name, args)) as { pkey: number; name: Buffer });
  }

  /** One RPC on a synced connection. */
  private call<N extends RpcName>(
    name: N,
    args: RpcArgs<N>,
    timeoutMs?: number,
  ): Promise<Decoded<RpcResult<N>>> {
    return this.lease((conn) => this.exchange(conn, name, args, timeoutMs)).catch((error: unknown) => {
      throw withRpc(error, name);
    });
  }

  /** Several RPCs on one synced connection. */
  private session<T>(fn: (conn: RpcConnection) => Promise<T>): Promise<T> {
    return this.lease(fn);
  }

  private lease<T>(fn: (conn: RpcConnection) => Promise<T>, sync = true): Promise<T> {
    const run = async (conn: RpcConnection) => {
      if (sync) await this.sync(conn);
      return fn(conn);
    };
    return this.pinned ? run(this.pinned) : this.shared.pool.withConnection(run);
  }

  /** Brings a connection's login in line with the client's: LOGIN with the kept PIN, or LOGOUT. */
  private async sync(conn: RpcConnection): Promise<void> {
    const { generation, login, synced } = this.shared;
    if (synced.get(conn) === generation) return;
    if (login) await this.exchange(conn, 'LOGIN', { user: login.user, pin: login.pin });
    else if (synced.has(conn)) await this.exchange(conn, 'LOGOUT', {});
    synced.set(conn, generation);
  }

  private forgetLogin(): void {
    this.shared.login?.pin.fill(0);
    this.shared.login = undefined;
    this.shared.generation++;
  }

  /**
   * Encodes, sends and decodes one RPC on `conn`. A response that breaks the protocol closes the
   * connection (docs/style.md §9); a status error leaves it usable. The request bytes (which
   * may hold a PIN) are zeroed afterwards.
   */
  private async exchange<N extends RpcName>(
    conn: RpcConnection,
    name: N,
    args: RpcArgs<N>,
    timeoutMs?: number,
  ): Promise<Decoded<RpcResult<N>>> {
    const rpc = RPC[name] as unknown as Rpc<N, RpcArgs<N>, RpcResult<N>>;
    const wait = timeoutMs ?? (SLOW.has(name) ? this.shared.slowTimeoutMs : this.shared.timeoutMs);
    let request: Buffer;
    try {
      request = rpc.encodeRequest(args);
    } catch (error) {
      throw withRpc(error, name);
    }
    try {
      const frame = await conn.call(rpc.code, request, { timeoutMs: wait });
      try {
        return rpc.decodeResponse(frame, args);
      } catch (error) {
        if (errorKind(error) === 'protocol') conn.close(error as HsmError);
        throw error;
      }
    } catch (error) {
      throw withRpc(error, name);
    } finally {
      request.fill(0);
    }
  }
}
