import { join } from 'node:path';
import { openSqliteEventStore, type RecordedEvent } from '../../src/event-store';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { spawnTs } from '../support/ts-child';
import { within } from '../support/within';
import { ascending, readEverything } from './contract/helpers';

const WRITER = join(__dirname, 'fixtures', 'durability-writer.ts');

interface Ack {
  stream: string;
  revision: number;
  id: string;
}

/** Runs the writer until it has acknowledged `threshold` events, SIGKILLs it, returns every ack it printed. */
async function runAndKill(dataDir: string, round: number, threshold: number): Promise<Ack[]> {
  const child = spawnTs(WRITER, [dataDir, String(round)]);
  const acks: Ack[] = [];
  let partial = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? ''; // an unterminated line is not an acknowledgement
    for (const line of lines) {
      const [tag, stream, revision, id] = line.split(' ');
      if (tag === 'ack') acks.push({ stream, revision: Number(revision), id });
    }
    if (acks.length >= threshold) child.kill('SIGKILL');
  });
  const closed = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_, signal) => resolve(signal)),
  );
  const signal = await within(30000, `writer round ${round}`, closed);
  if (signal !== 'SIGKILL') throw new Error(`writer round ${round} ended without being killed: ${stderr}`);
  return acks;
}

function key(stream: string, revision: number): string {
  return `${stream}#${revision}`;
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

describe('given a writer process SIGKILLed while 48 concurrent appenders are writing', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await makeTempDir('keyledger-durability-');
  });

  afterAll(async () => {
    await removeTempDir(dataDir);
  });

  it('keeps every acknowledged event at its revision after each of three kills, with no gaps or torn appends', async () => {
    const acked: Ack[] = [];
    for (const [round, threshold] of [
      [1, 300],
      [2, 750],
      [3, 1300],
    ]) {
      const acks = await runAndKill(dataDir, round, threshold);
      expect(acks.length).toBeGreaterThanOrEqual(threshold);
      acked.push(...acks);

      const store = await openSqliteEventStore(dataDir);
      const all: RecordedEvent[] = await readEverything(store).finally(() => store.close());

      const byRevision = new Map(all.map((e) => [key(e.streamName, e.revision), e.id]));
      expect(acked.filter((a) => byRevision.get(key(a.stream, a.revision)) !== a.id)).toEqual([]);
      expect(all.map((e) => e.position)).toEqual(ascending(all.length, 1));
      for (const [stream, events] of groupBy(all, (e) => e.streamName)) {
        expect([stream, events.map((e) => e.revision)]).toEqual([stream, ascending(events.length)]);
      }
      const torn = [...groupBy(all, (e) => String(e.data.appendId))].filter(
        ([, events]) =>
          events.length !== events[0].data.count ||
          events.some((e, k) => e.data.k !== k || e.revision !== events[0].revision + k),
      );
      expect(torn).toEqual([]);
      expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    }
  });
});
