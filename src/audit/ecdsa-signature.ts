/**
 * ECDSA P-256 signatures in their two encodings: the raw r ‖ s the HSM answers (IEEE P1363, two
 * 32-byte big-endian integers; RFC 7518 §3.4 calls it the JWS form) and the DER
 * Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } of RFC 3279 §2.2.3, which signed notes of
 * type 0x02 carry. Both directions are strict: r and s must lie in [1, n − 1] (SEC 1 §4.1.4
 * step 1), DER integers must be minimal and non-negative (X.690 §8.3.2, checked by ../lib/der),
 * and nothing may follow the SEQUENCE.
 */
import { abytes } from '../lib/bytes';
import { der, DerReader, encodeDer } from '../lib/der';
import { ArgumentError, DerError } from '../lib/errors';

export const P256_SCALAR_BYTES = 32;
/** SEQUENCE of two INTEGERs of up to 33 octets each: 2 + 2 · (2 + 33). */
export const P256_DER_SIGNATURE_MAX_BYTES = 72;
/** The order n of the P-256 base point (SEC 2 §2.4.2, NIST SP 800-186 §3.2.1.3). */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function inRange(magnitude: Uint8Array): boolean {
  const v = magnitude.length === 0 ? 0n : BigInt('0x' + Buffer.from(magnitude).toString('hex'));
  return v > 0n && v < P256_ORDER;
}

/** Raw r ‖ s (64 bytes) to DER; refuses r or s outside [1, n − 1] with a labelled ArgumentError. */
export function p1363ToDer(raw: Uint8Array): Buffer {
  abytes(raw, 'signature', 2 * P256_SCALAR_BYTES);
  const r = raw.subarray(0, P256_SCALAR_BYTES);
  const s = raw.subarray(P256_SCALAR_BYTES);
  for (const [field, v] of [
    ['signature r', r],
    ['signature s', s],
  ] as const) {
    if (!inRange(v)) throw new ArgumentError(field, `"${field}" expected an integer in [1, n − 1] of P-256`);
  }
  return Buffer.from(encodeDer(der.seq(der.uint(r), der.uint(s))));
}

/** DER Ecdsa-Sig-Value to raw r ‖ s (64 bytes); anything but strict DER of two in-range integers is a DerError. */
export function derToP1363(sig: Uint8Array): Buffer {
  abytes(sig, 'signature');
  if (sig.length > P256_DER_SIGNATURE_MAX_BYTES) {
    throw new DerError(
      0,
      `Ecdsa-Sig-Value: ${sig.length} bytes exceed the ${P256_DER_SIGNATURE_MAX_BYTES} of P-256`,
    );
  }
  const top = DerReader.of(sig);
  const seq = top.sequence('Ecdsa-Sig-Value');
  top.finish('Ecdsa-Sig-Value');
  const out = Buffer.alloc(2 * P256_SCALAR_BYTES);
  for (const [name, offset] of [
    ['r', 0],
    ['s', P256_SCALAR_BYTES],
  ] as const) {
    const at = seq.offset;
    const v = seq.uint(`Ecdsa-Sig-Value ${name}`);
    if (v.length > P256_SCALAR_BYTES || !inRange(v))
      seq.fail(`Ecdsa-Sig-Value ${name} is not in [1, n − 1] of P-256`, at);
    out.set(v, offset + P256_SCALAR_BYTES - v.length);
  }
  seq.finish('Ecdsa-Sig-Value');
  return out;
}
