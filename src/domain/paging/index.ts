/** Key paging's replacement policy (docs/architecture.md §4 "Key paging"): pure, per HSM, keyed by key id. */
export * from './policy';
export * from './create';
export { WTinyLfuPolicy } from './w-tinylfu';
export { LruPolicy } from './lru';
export { belady } from './belady';
export { simulate } from './simulate';
export { harmonic, zipfTrace, type ZipfTraceOptions } from './zipf';
