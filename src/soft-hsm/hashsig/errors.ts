/**
 * The signer's refusals. Each class names one; `halStatus` is the libhal `hal_error_t` the soft
 * HSM should answer with (docs/libhal-rpc.md §4.1). Malformed bytes, unknown types and bad arguments
 * are src/lib/errors.ts: HashsigMalformed, HashsigUnsupportedType, ArgumentError.
 */
export abstract class HashsigError extends Error {
  abstract readonly type: string;
  abstract readonly halStatus: number;
}

/** Every leaf in the key's range is used: the top tree has q ≥ q_end and no lower tree has a leaf left. */
export class HashsigKeyExhausted extends HashsigError {
  readonly type = 'hashsig-key-exhausted';
  readonly halStatus = 48; // HAL_ERROR_HASHSIG_KEY_EXHAUSTED
  constructor(
    readonly q: number,
    readonly qEnd: number,
  ) {
    super(
      `hashsig key exhausted: top tree is at leaf ${q} of range end ${qEnd} and no lower tree has a leaf left`,
    );
  }
}

/**
 * hssSign was given a key it already signed with. Each HssKey value signs once: continue with the
 * `next` key it returned (or reload the persisted state), or a leaf would be used twice.
 */
export class HashsigStaleKey extends HashsigError {
  readonly type = 'hashsig-stale-key';
  readonly halStatus = 47; // HAL_ERROR_ASSERTION_FAILED
  constructor() {
    super(
      'this hashsig key value has already signed: sign with the `next` key hssSign returned, or reload the persisted state',
    );
  }
}

/** A persisted private state does not reproduce itself (wrong root, a lower tree's signature fails). */
export class HashsigStateInconsistent extends HashsigError {
  readonly type = 'hashsig-state-inconsistent';
  readonly halStatus = 38; // HAL_ERROR_KEYSTORE_LOST_DATA
}
