/**
 * keyledger's pure domain (docs/architecture.md §1): one namespace per decider, so `decide`, `evolve` and the
 * state types of different streams never collide. Shared helpers are exported at the top level.
 */
export * as approval from './approval';
export * as audit from './audit';
export * as blob from './blob';
export * as hashsig from './hashsig';
export * as hsm from './hsm';
export * as kekDomain from './kek-domain';
export * as key from './key';
export * as operator from './operator';
export * as paging from './paging';
export { DomainError, InvalidCommand, InvariantViolated } from './errors';
export {
  ERROR_CATEGORIES,
  declaredCategory,
  errorCategory,
  type ErrorCategory,
  type ProblemExtras,
} from './error-category';
export { abbr } from './format';
export type { Command, Decider, Event } from './message';
export { AUDIT_STREAM, POLICY_STREAM, parseStreamName, streamName, type StreamCategory } from './streams';
