/**
 * SHA-256 compression-call counts of the RFC 8554 algorithms, for benchmarks (hashes/s against
 * a plain SHA-256 loop). Each H() call counts one, whatever its input length. Sign and verify
 * depend on the message digest's digits; they are exact expectations over a uniformly random Q.
 */
import { aint } from '../../lib/bytes';
import { HSS_MAX_LEVELS, LmotsParams, lmotsParams, lmsParams } from '../../lib/rfc8554-params';

export interface HashsigHashCounts {
  /** Every tree of every level, plus the L−1 signatures of lower public keys (§6.1). */
  readonly keygen: number;
  /** One bottom-level LMS signature with cached trees (no lower tree replaced): Q, x_q[i], chains. */
  readonly sign: number;
  /** L LMS verifications (§6.3): Q, chains, K, leaf and h path nodes each. */
  readonly verify: number;
}

export function hashsigHashCounts(params: {
  levels: number;
  lmsType: number;
  lmotsType: number;
}): HashsigHashCounts {
  const L = params.levels;
  aint(L, 'levels', 1, HSS_MAX_LEVELS);
  const { h } = lmsParams(params.lmsType);
  const ots = lmotsParams(params.lmotsType);
  const chain = 2 ** ots.w - 1;
  // §4.3 + Appendix A: per leaf p·(1 + chain) for x and y, one for K and one for the leaf node.
  const tree = 2 ** h * (ots.p * (1 + chain) + 2) + (2 ** h - 1);
  const steps = expectedSignSteps(ots);
  const sign = 1 + ots.p + steps; // Q, x_q[i], a_i chain steps (§4.5)
  const lmsVerify = 1 + (ots.p * chain - steps) + 1 + 1 + h; // Q, remaining steps, K, leaf, path (§4.6, §5.4.2)
  return { keygen: L * tree + (L - 1) * sign, sign, verify: L * lmsVerify };
}

const memo = new Map<number, number>();

/** E[Σ a_i] over the p digits of Q || Cksm(Q) for uniformly random Q (§4.4). */
export function expectedSignSteps(ots: LmotsParams): number {
  const known = memo.get(ots.code);
  if (known !== undefined) return known;
  const max = 2 ** ots.w - 1;
  const u = 256 / ots.w;
  // The checksum is a sum of u independent digits uniform on 0..max: its exact distribution.
  let dist = new Float64Array([1]);
  for (let k = 0; k < u; k++) {
    // next[t] = mean of dist[t − max .. t], as a sliding window.
    const next = new Float64Array(dist.length + max);
    let window = 0;
    for (let t = 0; t < next.length; t++) {
      if (t < dist.length) window += dist[t];
      if (t - max - 1 >= 0) window -= dist[t - max - 1];
      next[t] = window / (max + 1);
    }
    dist = next;
  }
  let checksumDigits = 0;
  for (let sum = 0; sum < dist.length; sum++) {
    const shifted = (sum << ots.ls) & 0xffff;
    let digits = 0;
    for (let k = 0; k < ots.p - u; k++) digits += (shifted >>> (16 - ots.w * (k + 1))) & max;
    checksumDigits += dist[sum] * digits;
  }
  const result = (u * max) / 2 + checksumDigits;
  memo.set(ots.code, result);
  return result;
}
