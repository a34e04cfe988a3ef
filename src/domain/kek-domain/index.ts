import type { Decider } from '../message';
import type { KekDomainCommand } from './commands';
import { decide } from './decide';
import type { KekDomainEvent } from './events';
import { evolve, initialState, type KekDomainState } from './state';

export * from './commands';
export * from './errors';
export * from './events';
export * from './queries';
export * from './state';
export { decide } from './decide';

export const kekDomainDecider: Decider<KekDomainState, KekDomainCommand, KekDomainEvent> = {
  decide,
  evolve,
  initialState,
};
