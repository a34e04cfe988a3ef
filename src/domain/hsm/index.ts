import type { Decider } from '../message';
import type { HsmCommand } from './commands';
import { decide } from './decide';
import type { HsmEvent } from './events';
import { evolve, type HsmState, initialState } from './state';

export * from './commands';
export * from './errors';
export * from './events';
export * from './queries';
export * from './state';
export { decide } from './decide';

export const hsmDecider: Decider<HsmState, HsmCommand, HsmEvent> = { decide, evolve, initialState };
