/**
 * Given/when/then for deciders, after emmett's `DeciderSpecification` (docs/style.md §4):
 *
 *   deciderSpec(keyDecider).given([generated]).when(startRawExport).then([exportStarted]);
 *   deciderSpec(keyDecider).given([...]).when(command).thenThrows(StaleBlob, 'superseded by');
 *
 * Framework-free (it throws `DeciderSpecFailed`, which any runner reports), so it builds with the
 * rest of `src/` without test typings. Beyond comparing events it checks what the store relies on:
 * state and inputs are deep-frozen (a decider that mutates them throws), every decided event
 * survives a JSON round trip (no `undefined`, `NaN` or class instances), and the decided events
 * fold through `evolve` (so evolve's invariant checks run on them too).
 */
import type { Decider } from './message';

export class DeciderSpecFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeciderSpecFailed';
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

export interface DeciderThen<E> {
  /** The decided events, compared as whole lists (order and every field). */
  then(expected: readonly E[]): void;
  /** The decision throws an instance of `errorClass` whose message contains `messagePart`. */
  thenThrows<T extends ErrorClass>(errorClass: T, messagePart?: string | RegExp): InstanceType<T>;
}

export interface DeciderWhen<C, E> {
  when(command: C): DeciderThen<E>;
}

export interface DeciderGiven<C, E> {
  given(events: readonly E[]): DeciderWhen<C, E>;
}

export function deciderSpec<S, C extends { readonly type: string }, E extends { readonly type: string }>(
  decider: Decider<S, C, E>,
): DeciderGiven<C, E> {
  return {
    given: (events) => ({
      when: (command) => {
        const decide = (): { state: S; decided: E[] } => {
          let state = deepFreeze(decider.initialState());
          for (const event of events) state = deepFreeze(decider.evolve(state, deepFreeze(event)));
          return { state, decided: decider.decide(deepFreeze(command), state) };
        };
        return {
          then: (expected) => {
            const { state, decided } = decide();
            const actual = canonical(decided, 'decided events');
            const wanted = canonical(expected, 'expected events');
            if (actual !== wanted) {
              throw new DeciderSpecFailed(
                `${command.type} decided other events\nexpected: ${pretty(wanted)}\nactual:   ${pretty(actual)}`,
              );
            }
            let after = state;
            for (const event of decided) after = deepFreeze(decider.evolve(after, deepFreeze(event)));
          },
          thenThrows: (errorClass, messagePart) => {
            let decided: E[];
            try {
              decided = decide().decided;
            } catch (error) {
              if (!(error instanceof errorClass)) {
                throw new DeciderSpecFailed(
                  `${command.type} expected to throw ${errorClass.name}, threw ${describe(error)}`,
                );
              }
              const matches =
                messagePart === undefined ||
                (typeof messagePart === 'string'
                  ? error.message.includes(messagePart)
                  : messagePart.test(error.message));
              if (!matches) {
                throw new DeciderSpecFailed(
                  `${command.type} threw ${errorClass.name} without ${String(messagePart)}:\n  ${error.message}`,
                );
              }
              return error as InstanceType<typeof errorClass>;
            }
            throw new DeciderSpecFailed(
              `${command.type} expected to throw ${errorClass.name}, decided ${pretty(canonical(decided, 'decided'))}`,
            );
          },
        };
      },
    }),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function pretty(json: string): string {
  return JSON.stringify(JSON.parse(json), null, 2).replace(/\n/g, '\n          ');
}

/** JSON with sorted keys; throws on anything a JSON event store would not give back unchanged. */
function canonical(value: unknown, path: string): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DeciderSpecFailed(`${path} is ${value}: not JSON`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonical(v, `${path}[${i}]`)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v, `${path}.${k}`)}`).join(',')}}`;
  }
  throw new DeciderSpecFailed(`${path} is ${value === undefined ? 'undefined' : typeof value}: not JSON`);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
