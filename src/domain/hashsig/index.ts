/** Hashsig index algebra: ranges, partitions, index paths (docs/architecture.md §3, docs/libhal-rpc.md §7.6, RFC 8554). */
export * from './intervals';
export * from './params';
export * from './index-path';
export * from './partition';
