/** Time is an input (docs/style.md §3): the service asks this clock; tests inject a fixed or stepping one. */
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
