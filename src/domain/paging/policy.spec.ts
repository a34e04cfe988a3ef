/**
 * The contract every replacement policy keeps (docs/style.md §7: one suite, every implementation), as
 * the pager relies on it: victims only among evictable residents, nothing evicted by `victim` itself,
 * residents each once.
 */
import fc from 'fast-check';
import { InvalidCommand } from '../errors';
import { createPolicy, DEFAULT_POLICY_KIND, POLICY_KINDS, type PolicyKind } from './create';
import type { ReplacementPolicy } from './policy';
import { simulate } from './simulate';

const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function filled(kind: PolicyKind, capacity: number, ids = keys(capacity)): ReplacementPolicy {
  const policy = createPolicy(kind, capacity);
  for (const id of ids) {
    policy.record(id);
    policy.admit(id);
  }
  return policy;
}

describe.each(POLICY_KINDS)('the %s policy', (kind) => {
  describe('when empty', () => {
    it('has no residents and names no victim', () => {
      const policy = createPolicy(kind, 4);
      expect(policy.size).toBe(0);
      expect(policy.capacity).toBe(4);
      expect(policy.residents()).toEqual([]);
      expect(policy.victim(() => true)).toBeUndefined();
    });

    it('refuses a capacity below 1 or a fraction, naming the field', () => {
      expect(() => createPolicy(kind, 0)).toThrow(InvalidCommand);
      expect(() => createPolicy(kind, 2.5)).toThrow('"capacity" expected an integer in [1,');
    });
  });

  describe('when keys are admitted', () => {
    it('holds each once, even when admitted twice', () => {
      const policy = filled(kind, 4, ['a', 'b', 'c']);
      policy.admit('b');
      expect(policy.size).toBe(3);
      expect([...policy.residents()].sort()).toEqual(['a', 'b', 'c']);
      expect(policy.has('b')).toBe(true);
      expect(policy.has('d')).toBe(false);
    });

    it('forgets a removed key and ignores an unknown one', () => {
      const policy = filled(kind, 4, ['a', 'b', 'c']);
      policy.remove('b');
      policy.remove('zz');
      policy.remove('b');
      expect(policy.has('b')).toBe(false);
      expect([...policy.residents()].sort()).toEqual(['a', 'c']);
      expect(policy.size).toBe(2);
    });

    it('does not learn residency from requests alone', () => {
      const policy = createPolicy(kind, 4);
      policy.record('a');
      expect(policy.has('a')).toBe(false);
      expect(policy.victim(() => true)).toBeUndefined();
    });
  });

  describe('when a slot is needed', () => {
    it('names a resident and leaves it resident until removed', () => {
      const policy = filled(kind, 5);
      const victim = policy.victim(() => true);
      expect(policy.residents()).toContain(victim);
      expect(policy.size).toBe(5);
      expect(policy.victim(() => true)).toBe(victim);
      policy.remove(victim!);
      expect(policy.has(victim!)).toBe(false);
    });

    it('never names a key evictable refuses, and names none when all are refused', () => {
      const policy = filled(kind, 6);
      const pinned = new Set(['k0', 'k1', 'k2', 'k5']);
      const asked: string[] = [];
      const victims: string[] = [];
      for (
        let v = policy.victim((id) => !pinned.has(id));
        v !== undefined;
        v = policy.victim((id) => !pinned.has(id))
      ) {
        victims.push(v);
        policy.remove(v);
      }
      expect(victims.sort()).toEqual(['k3', 'k4']);
      expect([...policy.residents()].sort()).toEqual([...pinned].sort());
      expect(
        policy.victim((id) => {
          asked.push(id);
          return false;
        }),
      ).toBeUndefined();
      expect(asked.sort()).toEqual([...pinned].sort());
    });

    it('comes back under a smaller capacity by paging out victims', () => {
      const policy = filled(kind, 10);
      policy.resize(4);
      expect(policy.capacity).toBe(4);
      expect(policy.size).toBe(10);
      while (policy.size > policy.capacity) policy.remove(policy.victim((id) => id !== 'k7')!);
      expect(policy.size).toBe(4);
      expect(policy.has('k7')).toBe(true);
      const after = simulate(policy, ['k7', ...keys(6, 'n'), 'k7']);
      expect(after.hits).toBeGreaterThanOrEqual(1);
      expect(policy.size).toBe(4);
      expect(new Set(policy.residents()).size).toBe(4);
    });

    it('refuses to resize below 1', () => {
      expect(() => createPolicy(kind, 3).resize(0)).toThrow('"capacity" expected an integer in [1,');
    });
  });

  it('keeps its invariants over any seeded sequence of calls (property)', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('request' as const), key: fc.nat(29) }),
      fc.record({ op: fc.constant('remove' as const), key: fc.nat(29) }),
      fc.record({ op: fc.constant('pin' as const), key: fc.nat(29) }),
      fc.record({ op: fc.constant('resize' as const), key: fc.integer({ min: 1, max: 12 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 300 }), (capacity, ops) => {
        const policy = createPolicy(kind, capacity);
        const model = new Set<string>();
        const pinned = new Set<string>();
        const evictable = (id: string) => !pinned.has(id);
        const evict = (): boolean => {
          const victim = policy.victim(evictable);
          if (victim === undefined) {
            // Only pinned keys are left.
            expect([...model].every((id) => pinned.has(id))).toBe(true);
            return false;
          }
          expect(model.has(victim)).toBe(true);
          expect(pinned.has(victim)).toBe(false);
          expect(policy.has(victim)).toBe(true);
          policy.remove(victim);
          model.delete(victim);
          return true;
        };
        for (const { op: name, key } of ops) {
          const id = `key-${key}`;
          if (name === 'request') {
            policy.record(id);
            if (!policy.has(id)) {
              let room = true;
              while (room && policy.size >= policy.capacity) room = evict();
              if (room) {
                policy.admit(id);
                model.add(id);
              }
            }
          } else if (name === 'remove') {
            policy.remove(id);
            model.delete(id);
            pinned.delete(id);
          } else if (name === 'pin') {
            if (pinned.has(id)) pinned.delete(id);
            else pinned.add(id);
          } else {
            policy.resize(key);
            while (policy.size > policy.capacity && evict());
          }
          const residents = policy.residents();
          expect(new Set(residents).size).toBe(residents.length);
          expect([...residents].sort()).toEqual([...model].sort());
          expect(policy.size).toBe(model.size);
          const unpinned = residents.filter(evictable).length;
          expect(policy.size <= policy.capacity || unpinned === 0).toBe(true);
        }
      }),
      { seed: 0x5eed, numRuns: 200 },
    );
  });
});

describe('choosing a policy', () => {
  it('defaults to W-TinyLFU and knows LRU', () => {
    expect(DEFAULT_POLICY_KIND).toBe('w-tinylfu');
    expect(POLICY_KINDS).toEqual(['w-tinylfu', 'lru']);
  });

  it('refuses an unknown kind, naming the field and the choices', () => {
    expect(() => createPolicy('arc' as PolicyKind, 4)).toThrow(
      '"kind" expected one of w-tinylfu, lru, got "arc"',
    );
  });
});

describe('simulating a trace', () => {
  it('counts hits and page-ins as the pager would (LRU, capacity 2)', () => {
    // a miss, b miss, a hit, c miss (pages out b), b miss (pages out a).
    expect(simulate(createPolicy('lru', 2), ['a', 'b', 'a', 'c', 'b'])).toEqual({ hits: 1, misses: 4 });
  });
});
