/**
 * The soft HSM's public API (docs/architecture.md §1): a software HSM that speaks the Cryptech libhal RPC
 * protocol (docs/libhal-rpc.md) byte for byte.
 *
 * - `createSoftHsmState(dir, { kek?, pin? })`, `zeroizeSoftHsm(dir)`, `enterMasterKek(dir, kek)`:
 *   the operator commands behind `keyledger soft-hsm init | zeroize | kek set`.
 * - `SoftHsm.open(dir, options)`: the engine, one typed method per RPC (`pkeySign(client, args)`).
 * - `startSoftHsmServer(options)`: the engine behind a Unix or TCP socket, as cryptech_muxd.
 * - `inProcessTransport(hsm, { handle? })`: request payload in, response payload out.
 *
 * Where this emulator knowingly differs from the 2019 firmware (each also noted at its code):
 * - Hashsig LMS/LM-OTS records (types 7/8) are not keystore entries: a hashsig key is one record
 *   (counted once against the capacity) whose state, lower trees included, is persisted wrapped
 *   under the master KEK. A restart therefore burns no top-tree leaf and NOT_READY never occurs;
 *   PKEY_MATCH never returns type 7/8 names.
 * - PKEY_LOAD of a hashsig private key rebuilds it from its SEED, as PKEY_IMPORT does (§7.6).
 * - PKEY_VERIFY also accepts HASHSIG_PRIVATE keys.
 * - LOGOUT deletes the handle's volatile keys even if it was not logged in (§3.3 wording).
 * - CHECK_TAMPER (66, DKS only) answers RPC_BAD_FUNCTION: this is upstream Cryptech plus §9.2.
 * - A full token or volatile keystore is NO_KEY_SLOTS_AVAILABLE (23).
 * - Zeroize destroys the master KEK and every key; PIN records are kept (they live in the flash
 *   PIN block, not in the MKM a tamper event clears, §6.2/§6.4).
 * - Key generation and hashsig rebuilds run synchronously: a big tree holds up other clients.
 */
export { SoftHsm } from './soft-hsm';
export type { SoftHsmOptions, RandomSource } from './options';
export { createSoftHsmState, enterMasterKek, zeroizeSoftHsm, type CreateSoftHsmOptions } from './init';
export { SoftHsmStateError } from './errors';
export { isInitialized } from './keystore/state-dir';
export {
  startSoftHsmServer,
  type SoftHsmServer,
  type SoftHsmServerOptions,
  type SoftHsmAddress,
} from './server/server';
export { inProcessTransport, type InProcessTransport } from './server/in-process';
export { RpcDispatcher, type DispatchResult } from './server/dispatcher';
