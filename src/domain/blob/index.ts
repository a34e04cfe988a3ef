import type { Decider } from '../message';
import type { BlobCommand } from './commands';
import { decide } from './decide';
import type { BlobEvent } from './events';
import { type BlobState, evolve, initialState } from './state';

export * from './commands';
export * from './errors';
export * from './events';
export * from './state';
export { decide, MAX_BLOB_BASE64 } from './decide';

export const blobDecider: Decider<BlobState, BlobCommand, BlobEvent> = { decide, evolve, initialState };
