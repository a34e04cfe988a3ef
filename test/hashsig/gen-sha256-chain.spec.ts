import { committedChainRun, generateChainRun } from './gen-sha256-chain';

describe('src/soft-hsm/hashsig/sha256-chain.ts', () => {
  it('contains exactly the chainRun that gen-sha256-chain.ts generates', () => {
    expect(committedChainRun()).toBe(generateChainRun());
  });
});
