import { randomBytes } from 'node:crypto';
import { expectedSignSteps, hashsigHashCounts } from './counts';
import { lmotsDigits } from './lmots';
import { LmotsType, lmotsParams, LmsType } from '../../lib/rfc8554-params';

describe('hashsigHashCounts', () => {
  it('for L1/H10/W8 gives keygen 8,915,967, sign ≈ 4,258 and verify ≈ 4,460 hashes', () => {
    const counts = hashsigHashCounts({ levels: 1, lmsType: LmsType.H10, lmotsType: LmotsType.W8 });
    expect(counts.keygen).toBe(8_915_967);
    expect(Math.round(counts.sign)).toBe(4258);
    expect(Math.round(counts.verify)).toBe(4460);
  });

  it('for L2 counts two trees plus one signature in keygen and two LMS verifications', () => {
    const one = hashsigHashCounts({ levels: 1, lmsType: LmsType.H5, lmotsType: LmotsType.W4 });
    const two = hashsigHashCounts({ levels: 2, lmsType: LmsType.H5, lmotsType: LmotsType.W4 });
    expect(two.keygen).toBe(2 * one.keygen + one.sign);
    expect(two.sign).toBe(one.sign);
    expect(two.verify).toBe(2 * one.verify);
  });
});

describe('expectedSignSteps (mean Σ a_i over random Q)', () => {
  it.each(Object.entries(LmotsType))('for %s agrees with 4000 random digests within 1%%', (_name, type) => {
    const ots = lmotsParams(type);
    let total = 0;
    for (let k = 0; k < 4000; k++) total += lmotsDigits(ots, randomBytes(32)).reduce((a, b) => a + b, 0);
    expect(Math.abs(total / 4000 / expectedSignSteps(ots) - 1)).toBeLessThan(0.01);
  });
});
