/**
 * The Master Key Memory, emulated by one 36-byte file `mkm.bin` in the state directory, in the
 * layout of docs/libhal-rpc.md §6.2: a 32-bit big-endian status word (`0x0000FFFF` = set,
 * `0xFFFFFFFF` = not set) followed by the 32-byte master KEK (AES-256). A missing file is an MKM
 * that was never set; zeroize rewrites it as "not set" with the key bytes zeroed.
 */
import * as path from 'node:path';
import { corruptFile } from '../errors';
import { readFileIfExists, writeFileDurable } from './durable-fs';

export const MKM_FILE = 'mkm.bin';
export const MKM_STATUS_SET = 0x0000ffff;
export const MKM_STATUS_NOT_SET = 0xffffffff;
/** KEK_LENGTH (§4.5). */
export const MASTER_KEK_LENGTH = 32;
const MKM_SIZE = 4 + MASTER_KEK_LENGTH;

/** The master KEK, or undefined when the MKM is not set. Throws `corrupt-file` on a bad file. */
export function readMasterKek(stateDir: string): Buffer | undefined {
  const file = path.join(stateDir, MKM_FILE);
  const bytes = readFileIfExists(file);
  if (bytes === undefined) return undefined;
  if (bytes.length !== MKM_SIZE) throw corruptFile(file, `expected ${MKM_SIZE} bytes, got ${bytes.length}`);
  const status = bytes.readUInt32BE(0);
  if (status === MKM_STATUS_NOT_SET) return undefined;
  if (status !== MKM_STATUS_SET) throw corruptFile(file, `unknown MKM status word 0x${status.toString(16)}`);
  const kek = Buffer.from(bytes.subarray(4));
  bytes.fill(0);
  return kek;
}

export function writeMasterKek(stateDir: string, kek: Uint8Array): void {
  if (!(kek instanceof Uint8Array) || kek.length !== MASTER_KEK_LENGTH)
    throw new RangeError(
      `"kek" expected ${MASTER_KEK_LENGTH} bytes, got ${kek instanceof Uint8Array ? kek.length : typeof kek}`,
    );
  const block = Buffer.alloc(MKM_SIZE);
  block.writeUInt32BE(MKM_STATUS_SET, 0);
  block.set(kek, 4);
  try {
    writeFileDurable(path.join(stateDir, MKM_FILE), block);
  } finally {
    block.fill(0);
  }
}

/** Tamper response: the MKM says "not set" and holds zeros. */
export function clearMasterKek(stateDir: string): void {
  const block = Buffer.alloc(MKM_SIZE);
  block.writeUInt32BE(MKM_STATUS_NOT_SET, 0);
  writeFileDurable(path.join(stateDir, MKM_FILE), block);
}
