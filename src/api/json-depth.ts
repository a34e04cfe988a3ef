/**
 * How deeply a JSON text nests arrays and objects, found by one linear scan before anything
 * recursive sees the body. JSON.parse copes with deep nesting, but class-transformer (and then
 * class-validator) walks the parsed value recursively: a valid body of a few thousand `[` levels,
 * well under the 1 MiB limit, overflowed the stack and answered 500.
 */

/**
 * Every request body of this API is one flat object (depth 1) but the sign batch's (depth 3: an
 * object, its `items` array, the item objects); 32 leaves room for any body the API could grow
 * into while keeping every recursive walk of it shallow.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACE = 0x7d; // }

/**
 * True when `text` has more than `limit` arrays or objects open at once. Brackets inside strings do
 * not count (an escaped quote does not end a string); the scan stops at the first level too deep.
 * It does not check that the text is JSON: the parser after it does.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = endOfString(text, i);
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return false;
}

/**
 * The index of the quote that closes the string opened at `open`, or `text.length` if none does.
 * A quote is escaped when an odd number of backslashes precedes it; each run of backslashes is
 * counted once, so the whole scan stays linear (and `indexOf` skips long base64 strings quickly).
 */
function endOfString(text: string, open: number): number {
  let quote = open;
  for (;;) {
    quote = text.indexOf('"', quote + 1);
    if (quote === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
}
