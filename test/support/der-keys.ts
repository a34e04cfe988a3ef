/** Keys for the DER specs: node:crypto's own encodings, and a hashsig key assembled by hand. */
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import type { EcCurveName } from '../../src/lib/spki';
import { hex, toHex } from './bytes';

export const b64u = (s: string | undefined): string => Buffer.from(s ?? '', 'base64url').toString('hex');

export function nodeRsa(bits: number): { pkcs8: Uint8Array; spki: Uint8Array; jwk: JsonWebKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    pkcs8: new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' })),
    spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    jwk: privateKey.export({ format: 'jwk' }),
  };
}

export function nodeEc(curve: EcCurveName | 'secp256k1'): {
  pkcs8: Uint8Array;
  spki: Uint8Array;
  sec1: Uint8Array;
  jwk: JsonWebKey;
} {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return {
    pkcs8: new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' })),
    spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    sec1: new Uint8Array(privateKey.export({ type: 'sec1', format: 'der' })),
    jwk: privateKey.export({ format: 'jwk' }),
  };
}

/** A DER SEQUENCE header (short or one-octet long form) around hex content. */
export const seq = (h: string): string => {
  const len = h.length / 2;
  return (
    '30' + (len < 128 ? len.toString(16).padStart(2, '0') : '81' + len.toString(16).padStart(2, '0')) + h
  );
};

export const hashsigKey = {
  L: 2,
  lmsType: 5,
  lmotsType: 2,
  I: hex('000102030405060708090a0b0c0d0e0f'),
  T1: hex('202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f'),
  seed: hex('404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f'),
  qStart: 0,
  qEnd: 32,
};

/** docs/libhal-rpc.md §7.4 assembled by hand from the field table, independent of the writer. */
const hashsigPublicFields =
  '020102' + '020105' + '020102' + '0410' + toHex(hashsigKey.I) + '0420' + toHex(hashsigKey.T1);
const hashsigAlgorithm = seq('060b2a864886f70d0109100311' + '0500');
export const expectedHashsigInner = seq(
  hashsigPublicFields + '0420' + toHex(hashsigKey.seed) + '020100' + '020120',
);
export const expectedHashsigPkcs8 = seq('020100' + hashsigAlgorithm + '0467' + expectedHashsigInner);
export const expectedHashsigSpki = seq(hashsigAlgorithm + '034000' + seq(hashsigPublicFields));
