import type { Decider } from '../message';
import type { KeyCommand } from './commands';
import { decide } from './decide';
import type { KeyEvent } from './events';
import { evolve } from './evolve';
import { initialState, type KeyState } from './state';

export * from './commands';
export * from './errors';
export * from './events';
export * from './queries';
export * from './residency';
export * from './state';
export { MAX_SIGNATURE_BATCH } from './decide-signatures';
export {
  MAX_LOGGED_PER_PATH,
  MAX_OBSERVED_ALARMS,
  judgeObservation,
  observationHistory,
  observedOutcome,
  samePath,
  type ObservationJudgement,
  type ObservedOutcome,
} from './decide-observed';
export { decide } from './decide';
export { evolve } from './evolve';

export const keyDecider: Decider<KeyState, KeyCommand, KeyEvent> = { decide, evolve, initialState };
