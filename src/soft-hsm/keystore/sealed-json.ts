/**
 * Checksummed JSON files: `{"sha256": hex, "body": …}` with the digest over `JSON.stringify(body)`.
 * The checksum plays the part of libhal's per-block CRC-32 (docs/libhal-rpc.md §6.3): bit rot or a
 * hand edit is reported at start-up as a corrupt file, by name, instead of being half-believed.
 */
import { createHash } from 'node:crypto';
import { corruptFile } from '../errors';

const digest = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export function sealJson(body: unknown): Buffer {
  const text = JSON.stringify(body);
  return Buffer.from(`{"sha256":"${digest(text)}","body":${text}}\n`, 'utf8');
}

/** Parses and checks a sealed file; throws `corrupt-file` naming `file` on any problem. */
export function openSealedJson(bytes: Uint8Array, file: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw corruptFile(file, 'not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw corruptFile(file, 'expected a JSON object with "sha256" and "body"');
  const { sha256, body } = parsed as { sha256?: unknown; body?: unknown };
  if (typeof sha256 !== 'string' || body === undefined) throw corruptFile(file, 'missing "sha256" or "body"');
  if (digest(JSON.stringify(body)) !== sha256) throw corruptFile(file, 'checksum mismatch');
  return body;
}

/** Small field readers that name the file and field when the shape is wrong. */
export class FieldReader {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly file: string,
    private readonly where: string,
  ) {}

  static of(value: unknown, file: string, where: string): FieldReader {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw corruptFile(file, `${where} is not an object`);
    return new FieldReader(value as Record<string, unknown>, file, where);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  u32(key: string): number {
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw corruptFile(this.file, `${this.where}.${key} is not a u32`);
    return v;
  }

  string(key: string, pattern?: RegExp): string {
    const v = this.obj[key];
    if (typeof v !== 'string' || (pattern && !pattern.test(v)))
      throw corruptFile(this.file, `${this.where}.${key} is not a valid string`);
    return v;
  }

  /** Base64 bytes, optionally of an exact length. */
  bytes(key: string, length?: number): Buffer {
    const s = this.string(key, /^[A-Za-z0-9+/]*={0,2}$/);
    const b = Buffer.from(s, 'base64');
    if (b.toString('base64') !== s)
      throw corruptFile(this.file, `${this.where}.${key} is not canonical base64`);
    if (length !== undefined && b.length !== length)
      throw corruptFile(this.file, `${this.where}.${key} expected ${length} bytes, got ${b.length}`);
    return b;
  }

  array(key: string): unknown[] {
    const v = this.obj[key];
    if (!Array.isArray(v)) throw corruptFile(this.file, `${this.where}.${key} is not an array`);
    return v;
  }
}
