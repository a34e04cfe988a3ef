import type { Decider } from '../message';
import type { ApprovalCommand } from './commands';
import { decide } from './decide';
import type { ApprovalEvent } from './events';
import { evolve, initialState, type ApprovalState } from './state';

export * from './commands';
export * from './errors';
export * from './events';
export * from './policy';
export * from './policy-stream';
export * from './state';
export { decide } from './decide';

export const approvalDecider: Decider<ApprovalState, ApprovalCommand, ApprovalEvent> = {
  decide,
  evolve,
  initialState,
};
