import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LEDGER_FILE_NAME, openSqliteEventStore } from '../../src/event-store';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { runTs } from '../support/ts-child';
import { events } from './contract/helpers';

const OPEN_LEDGER = join(__dirname, 'fixtures', 'open-ledger.ts');
/** chmod does not bind root, so as root the child runs as `nobody`, for whom it does. */
const UNPRIVILEGED = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

interface OpenOutcome {
  probe: string;
  opened: boolean;
  type?: string;
  message?: string;
}

async function openInChild(dataDir: string, probePath: string): Promise<OpenOutcome> {
  const { code, stdout, stderr } = await runTs(OPEN_LEDGER, [dataDir, probePath], UNPRIVILEGED);
  if (code !== 0) throw new Error(`open-ledger child failed (${code}): ${stderr}`);
  return JSON.parse(stdout.trim()) as OpenOutcome;
}

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir('keyledger-perm-');
  chmodSync(dir, 0o755); // the unprivileged child must reach the paths inside
});

afterEach(async () => {
  const dataDir = join(dir, 'data');
  if (existsSync(dataDir)) chmodSync(dataDir, 0o755); // so a failed test can still clean up
  await removeTempDir(dir);
});

describe('given a data directory the ledger user may not enter', () => {
  it('refuses to open with LedgerUnavailable naming the ledger path and the permission problem', async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o000);
    const outcome = await openInChild(dataDir, join(dataDir, 'probe'));
    expect(outcome).toMatchObject({ probe: 'EACCES', opened: false, type: 'ledger-unavailable' });
    expect(outcome.message).toContain(join(dataDir, LEDGER_FILE_NAME));
    expect(outcome.message).toContain('permission denied');
  });
});

describe('given an existing ledger the ledger user may not write', () => {
  it('refuses to open it instead of opening it read-only', async () => {
    const dataDir = join(dir, 'data');
    const store = await openSqliteEventStore(dataDir);
    await store.append('key-1', events(1));
    await store.close();
    const ledger = join(dataDir, LEDGER_FILE_NAME);
    chmodSync(ledger, 0o444);
    chmodSync(dataDir, 0o555);
    const outcome = await openInChild(dataDir, ledger);
    expect(outcome).toMatchObject({ probe: 'EACCES', opened: false, type: 'ledger-unavailable' });
    expect(outcome.message).toContain(ledger);
    expect(outcome.message).toContain('permission denied');
  });
});
