import type { Decider } from '../message';
import type { OperatorCommand } from './commands';
import { decide } from './decide';
import type { OperatorEvent } from './events';
import { evolve, initialState, type OperatorState } from './state';

export * from './commands';
export * from './errors';
export * from './events';
export * from './roles';
export * from './state';
export { decide } from './decide';

export const operatorDecider: Decider<OperatorState, OperatorCommand, OperatorEvent> = {
  decide,
  evolve,
  initialState,
};
