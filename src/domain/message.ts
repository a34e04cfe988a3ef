/**
 * Commands and events are plain records dispatched on their `type` string (docs/architecture.md §2, docs/style.md §2):
 * never class instances, because events come back from the store as parsed JSON. `Data` must be a
 * type alias of JSON values (an `interface` does not satisfy the constraint), so every event can be
 * appended as `EventData` unchanged. Metadata (operator, correlation, audit chain) is the handler's.
 */
export type Event<Type extends string, Data extends Record<string, unknown>> = {
  readonly type: Type;
  readonly data: Data;
  readonly metadata?: Record<string, unknown>;
};

export type Command<Type extends string, Data extends Record<string, unknown>> = {
  readonly type: Type;
  readonly data: Data;
  readonly metadata?: Record<string, unknown>;
};

/** emmett's Decider: three pure functions; time and ids arrive on the command (docs/style.md §1, 3). */
export interface Decider<State, C extends { readonly type: string }, E extends { readonly type: string }> {
  decide(command: C, state: State): E[];
  evolve(state: State, event: E): State;
  initialState(): State;
}

/** Own-property lookup: `undefined` for absent ids, and never an inherited `constructor` or `__proto__`. */
export function lookup<T>(record: Readonly<Record<string, T>>, id: string): T | undefined {
  return Object.hasOwn(record, id) ? record[id] : undefined;
}

/** A copy of `record` with `id` set (or removed when `value` is undefined); the input is not touched. */
export function withEntry<T>(
  record: Readonly<Record<string, T>>,
  id: string,
  value: T | undefined,
): Record<string, T> {
  const next: Record<string, T> = { ...record };
  if (value === undefined) delete next[id];
  else Object.defineProperty(next, id, { value, enumerable: true, writable: true, configurable: true });
  return next;
}
