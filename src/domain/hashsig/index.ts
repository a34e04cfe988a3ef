/** Hashsig index algebra: ranges, partitions, index paths (DESIGN §3, reference §7.6, RFC 8554). */
export * from './intervals';
export * from './params';
export * from './index-path';
export * from './partition';
