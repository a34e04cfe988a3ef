/**
 * Character rules shared by signed notes and checkpoints: standard base64 in its one canonical
 * form (RFC 4648 §4, padded, zero pad bits: `Buffer.from(s, 'base64')` would accept the URL-safe
 * alphabet, missing padding and stray characters), text that is valid UTF-8 without ASCII control
 * characters other than newline (c2sp.org/signed-note, Format), and key names.
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes of canonical standard base64, or undefined. */
export function strictBase64(s: string): Buffer | undefined {
  if (!BASE64.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? bytes : undefined;
}

// With the u flag a surrogate range matches only unpaired halves, which UTF-8 cannot encode.
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f]|[\ud800-\udfff]/u;

/** What first makes `text` unfit for a note (a control character, an unpaired surrogate), or undefined. */
export function textProblem(text: string): string | undefined {
  const m = FORBIDDEN.exec(text);
  if (!m) return undefined;
  const code = m[0].codePointAt(0) ?? 0;
  const what = code < 0x20 ? 'control character' : 'unpaired surrogate (not UTF-8)';
  return `${what} U+${code.toString(16).padStart(4, '0')} at offset ${m.index}`;
}

/** c2sp.org/signed-note: non-empty, no Unicode space (the White_Space property) and no "+". */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\p{White_Space}+]/u.test(name) && textProblem(name) === undefined;
}
