import { DomainError } from './errors';
import type { Command, Decider, Event } from './message';
import { DeciderSpecFailed, deciderSpec } from './spec';

type Add = Command<'Add', { readonly n: number }>;
type Added = Event<'Added', { readonly n: number; readonly total: number }>;
type State = { readonly total: number };
class TooBig extends DomainError {
  readonly type = 'too-big';
}

const counter: Decider<State, Add, Added> = {
  initialState: () => ({ total: 0 }),
  evolve: (s, e) => ({ total: e.data.total }),
  decide: (c, s) => {
    if (s.total + c.data.n > 10) throw new TooBig(`total ${s.total} + ${c.data.n} exceeds 10`);
    return [{ type: 'Added', data: { n: c.data.n, total: s.total + c.data.n } }];
  },
};
const spec = deciderSpec(counter);
const add = (n: number): Add => ({ type: 'Add', data: { n } });
const added = (n: number, total: number): Added => ({ type: 'Added', data: { n, total } });

describe('deciderSpec with a passing decider', () => {
  it('accepts the decided events in any key order', () => {
    spec
      .given([added(2, 2)])
      .when(add(3))
      .then([{ type: 'Added', data: { total: 5, n: 3 } }]);
  });

  it('returns the thrown domain error', () => {
    const error = spec
      .given([added(9, 9)])
      .when(add(3))
      .thenThrows(TooBig, 'exceeds 10');
    expect(error.type).toBe('too-big');
  });
});

describe('deciderSpec catching a wrong expectation', () => {
  it('fails on other events', () => {
    expect(() =>
      spec
        .given([])
        .when(add(3))
        .then([added(3, 4)]),
    ).toThrow(DeciderSpecFailed);
  });

  it('fails when nothing was thrown', () => {
    expect(() => spec.given([]).when(add(3)).thenThrows(TooBig)).toThrow('expected to throw TooBig, decided');
  });

  it('fails on another error class or message', () => {
    expect(() =>
      spec
        .given([added(9, 9)])
        .when(add(3))
        .thenThrows(RangeError),
    ).toThrow('expected to throw RangeError, threw TooBig');
    expect(() =>
      spec
        .given([added(9, 9)])
        .when(add(3))
        .thenThrows(TooBig, 'exceeds 11'),
    ).toThrow('without exceeds 11');
  });
});

describe('deciderSpec catching an impure decider', () => {
  it('fails when decide mutates its state', () => {
    const mutating: Decider<{ total: number }, Add, Added> = {
      ...counter,
      decide: (c, s) => {
        s.total += c.data.n;
        return [];
      },
    };
    expect(() => deciderSpec(mutating).given([]).when(add(1)).then([])).toThrow(TypeError);
  });

  it('fails when an event would not survive the store (undefined field)', () => {
    const sloppy: Decider<State, Add, Added> = {
      ...counter,
      decide: (c) => [{ type: 'Added', data: { n: c.data.n, total: undefined as unknown as number } }],
    };
    expect(() => deciderSpec(sloppy).given([]).when(add(1)).then([])).toThrow(
      'decided events[0].data.total is undefined: not JSON',
    );
  });
});
