/** Byte and error helpers shared by the unit specs of src/lib and src/soft-hsm. */

export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Runs `fn` and returns what it threw (failing the test if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw');
}

/**
 * One of our typed errors: an Error with a string `type` and the libhal status it stands for
 * (src/lib/errors.ts, src/soft-hsm/crypto/errors.ts), never a RangeError, TypeError or an error of
 * a library.
 */
export function isTypedError(e: unknown): boolean {
  const { type, halStatus } = (e ?? {}) as { type?: unknown; halStatus?: unknown };
  return (
    e instanceof Error && typeof type === 'string' && Number.isInteger(halStatus) && (halStatus as number) > 0
  );
}

/** Feeds every proper prefix of `input` to `parse` and asserts each one fails with a typed error. */
export function expectTypedFailureAtEveryTruncation(
  input: Uint8Array,
  parse: (b: Uint8Array) => unknown,
): void {
  for (let len = 0; len < input.length; len++) {
    const e = thrown(() => parse(input.slice(0, len)));
    if (!isTypedError(e)) {
      throw new Error(`truncation to ${len} of ${input.length} bytes threw ${String(e)}, not a typed error`);
    }
  }
}
