/**
 * node:crypto's own RSAES-PKCS1-v1_5 decryption of what we export. Node 20 disables that padding
 * for private decryption in-process (Marvin, CVE-2023-46809), so this runs a child node with
 * --security-revert — hence the int tier.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { OID } from '../../../src/lib/spki';
import { parseEncryptedPrivateKeyInfo } from '../../../src/lib/pkcs8';
import { encryptKek } from '../../../src/soft-hsm/crypto/rsa-kek';
import { generateEcKey } from '../../../src/soft-hsm/crypto/signing';
import { exportBlobs } from '../../../src/soft-hsm/crypto/transit';
import { toHex } from '../../support/bytes';
import { seededRng } from './support';

const CHILD = `
const c = require('node:crypto');
const { pem, items } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const out = items.map(({ kek, wrapped }) => {
  const k = c.privateDecrypt({ key: pem, padding: c.constants.RSA_PKCS1_PADDING }, Buffer.from(kek, 'hex'));
  if (!wrapped) return k.toString('hex');
  const d = c.createDecipheriv('id-aes256-wrap-pad', k, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([d.update(Buffer.from(wrapped, 'hex')), d.final()]).toString('hex');
});
process.stdout.write('\\nRESULT ' + JSON.stringify(out) + '\\n');
`;

function decryptInChild(pem: string, items: { kek: string; wrapped?: string }[]): string[] {
  const stdout = execFileSync(process.execPath, ['--security-revert=CVE-2023-46809', '-e', CHILD], {
    input: JSON.stringify({ pem, items }),
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  // The security-revert warning is printed on stdout too; the result is the marked line.
  const line = stdout
    .toString()
    .split('\n')
    .find((l) => l.startsWith('RESULT '));
  return JSON.parse(line?.slice('RESULT '.length) ?? 'null') as string[];
}

describe('node:crypto RSA_PKCS1_PADDING decryption (child process)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  it('recovers every KEK encryptKek produced', () => {
    const rng = seededRng('int kek');
    const keks = Array.from({ length: 20 }, () => rng(32));
    const items = keks.map((kek) => ({ kek: toHex(encryptKek(publicKey, kek, rng)) }));
    expect(decryptInChild(pem, items)).toEqual(keks.map(toHex));
  });

  it('opens a whole PKEY_EXPORT pair to the exact PKCS#8', () => {
    const { pkcs8 } = generateEcKey('P-521', seededRng('int export'));
    const blobs = exportBlobs(pkcs8, publicKey, seededRng('int export blobs'));
    const kekInfo = parseEncryptedPrivateKeyInfo(blobs.kek);
    const keyInfo = parseEncryptedPrivateKeyInfo(blobs.pkcs8);
    expect([kekInfo.algorithm, keyInfo.algorithm]).toEqual([OID.rsaEncryption, OID.aes256WrapPad]);
    const [recovered] = decryptInChild(pem, [{ kek: toHex(kekInfo.data), wrapped: toHex(keyInfo.data) }]);
    expect(recovered).toBe(toHex(pkcs8));
  });
});
