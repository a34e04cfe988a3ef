/**
 * Failures of the soft HSM's state directory and operator commands (not RPC statuses: those are
 * the adapter's `HalStatusError` classes, thrown by the engine). Each has a string `type`.
 */
export type SoftHsmStateErrorType =
  | 'corrupt-file'
  | 'not-initialized'
  | 'already-initialized'
  | 'state-in-use'
  | 'kek-already-set'
  | 'invalid-argument';

export class SoftHsmStateError extends Error {
  constructor(
    readonly type: SoftHsmStateErrorType,
    message: string,
    /** The file or directory concerned, when there is one. */
    readonly file?: string,
  ) {
    super(message);
    this.name = 'SoftHsmStateError';
  }
}

/** A state file that does not parse or fails its checksum. Names the file; never quotes its content. */
export function corruptFile(file: string, reason: string): SoftHsmStateError {
  return new SoftHsmStateError('corrupt-file', `soft HSM state file ${file} is corrupt: ${reason}`, file);
}
