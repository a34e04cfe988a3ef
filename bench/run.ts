/**
 * `npm run bench -- [group ...]`: runs benchmark groups and prints one JSON object per line:
 * `{"metric": ..., "value": ..., "unit": ..., "ratio"?: ...}`. Groups: see `groups` below.
 * Progress goes to stderr so stdout stays machine-readable.
 */
import { auditBenchmarks } from './audit.bench';
import { ledgerBenchmarks } from './ledger.bench';
import { custodyBenchmarks } from './custody.bench';
import { hsmBenchmarks } from './hsm.bench';
import { listKeysBenchmark } from './list-keys.bench';
import { lmsBenchmarks } from './lms';
import { pagingPolicyBenchmarks, pagingThroughputBenchmark } from './paging.bench';
import { reportsBenchmark } from './reports.bench';

export interface BenchResult {
  metric: string;
  value: number;
  unit: string;
  ratio?: number;
  [extra: string]: unknown;
}

export type Emit = (result: BenchResult) => void;

const groups: Record<string, (emit: Emit) => Promise<void>> = {
  ledger: ledgerBenchmarks,
  hsm: hsmBenchmarks,
  custody: async (emit) => {
    await custodyBenchmarks(emit);
    await listKeysBenchmark(emit);
  },
  // The last line of the custody group alone, for a quick look at the read side.
  'list-keys': listKeysBenchmark,
  lms: async (emit) => lmsBenchmarks(emit),
  reports: reportsBenchmark,
  audit: (emit) => auditBenchmarks(emit),
  // One line of the audit group alone: the whole-ledger verification.
  'audit-verify': (emit) => auditBenchmarks(emit, ['audit.verify']),
  paging: async (emit) => {
    await pagingPolicyBenchmarks(emit);
    await pagingThroughputBenchmark(emit);
    // Issue 11 reads the signing lines with the paging ones: custody.sign_batch, and
    // custody.sign_resident with ratio_to_http_floor (the custody group, unless it runs anyway).
    if (!running.includes('custody')) await custodyBenchmarks(emit);
  },
};

/** The groups of this run. */
let running: readonly string[] = [];

function emit(result: BenchResult): void {
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const names = requested.length > 0 ? requested : Object.keys(groups);
  const unknown = names.filter((name) => !(name in groups));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark group(s): ${unknown.join(', ')}; known: ${Object.keys(groups).join(', ')}`,
    );
    process.exit(2);
  }
  running = names;
  for (const name of names) {
    console.error(`# ${name}`);
    await groups[name](emit);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
