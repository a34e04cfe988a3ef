import { applyAttributeChanges, hasAttributes, readAttributes } from './attributes';
import { KS_BLOCK_DER_SPACE } from './keystore/key-record';

const a = (type: number, text: string) => ({ type, value: Buffer.from(text) });
const statusOf = (fn: () => unknown) => {
  try {
    fn();
    return 'OK';
  } catch (e) {
    return (e as { status: string }).status;
  }
};

describe('applyAttributeChanges', () => {
  it('sets in order, a re-set moving the type last, NIL deleting (absent: no-op)', () => {
    const out = applyAttributeChanges(
      [a(1, 'one'), a(2, 'two')],
      [a(1, 'uno'), { type: 2, value: null }, { type: 9, value: null }, a(3, '')],
      100,
      'T',
    );
    expect(out).toEqual([a(1, 'uno'), a(3, '')]);
  });

  it('counts 6 header bytes per attribute against the block space left by the wrapped DER', () => {
    const der = 1000;
    const fits = KS_BLOCK_DER_SPACE - der - 6;
    expect(
      applyAttributeChanges([], [{ type: 1, value: Buffer.alloc(fits) }], der, 'T')[0].value,
    ).toHaveLength(fits);
    expect(
      statusOf(() => applyAttributeChanges([], [{ type: 1, value: Buffer.alloc(fits + 1) }], der, 'T')),
    ).toBe('RESULT_TOO_LONG');
    expect(
      statusOf(() =>
        applyAttributeChanges([], [a(1, 'x'), { type: 2, value: Buffer.alloc(fits - 6) }], der, 'T'),
      ),
    ).toBe('RESULT_TOO_LONG');
  });

  it('does not touch its input', () => {
    const current = [a(1, 'one')];
    applyAttributeChanges(current, [{ type: 1, value: null }], 0, 'T');
    expect(current).toEqual([a(1, 'one')]);
  });
});

describe('readAttributes', () => {
  const attrs = [a(1, 'one'), a(2, 'two!')];

  it('gives lengths (0 for absent) when buffer_len is 0', () => {
    expect(readAttributes(attrs, [2, 7, 1], 0, 'T')).toEqual({
      lengths: [
        { type: 2, length: 4 },
        { type: 7, length: 0 },
        { type: 1, length: 3 },
      ],
    });
  });

  it('gives values that fit buffer_len; too long is RESULT_TOO_LONG, absent ATTRIBUTE_NOT_FOUND', () => {
    expect(readAttributes(attrs, [1, 2], 7, 'T')).toEqual({ attributes: [a(1, 'one'), a(2, 'two!')] });
    expect(statusOf(() => readAttributes(attrs, [1, 2], 6, 'T'))).toBe('RESULT_TOO_LONG');
    expect(statusOf(() => readAttributes(attrs, [1, 7], 100, 'T'))).toBe('ATTRIBUTE_NOT_FOUND');
  });

  it('answers ATTRIBUTE_NOT_FOUND for a key without attributes, in both modes', () => {
    expect(statusOf(() => readAttributes([], [1], 0, 'T'))).toBe('ATTRIBUTE_NOT_FOUND');
    expect(statusOf(() => readAttributes([], [1], 10, 'T'))).toBe('ATTRIBUTE_NOT_FOUND');
  });
});

describe('hasAttributes', () => {
  it('needs every wanted attribute present with exactly that value', () => {
    const attrs = [a(1, 'one'), a(2, 'two')];
    expect(hasAttributes(attrs, [])).toBe(true);
    expect(hasAttributes(attrs, [a(2, 'two'), a(1, 'one')])).toBe(true);
    expect(hasAttributes(attrs, [a(2, 'tw')])).toBe(false);
    expect(hasAttributes(attrs, [a(3, '')])).toBe(false);
  });
});
