import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../src/app/config';
import { startServer, type RunningServer } from '../../src/server/server';
import { EVENT_STORE } from '../../src/app/tokens';
import type { EventStore } from '../../src/event-store/event-store';
import { runCli } from '../support/cli';

describe('GET /health', () => {
  let dataDir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyledger-health-'));
    server = await startServer(loadConfig({ KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' }));
  });

  afterAll(async () => {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 200 with the store kind and the position of a new ledger: its policy and first officer', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toEqual({ status: 'ok', store: 'sqlite', position: 2 });
    const store = server.app.get<EventStore>(EVENT_STORE);
    expect((await store.readAll()).map((e) => `${e.streamName} ${e.type}`).sort()).toEqual([
      'operator-first-officer OperatorEnrolled',
      'policy PolicyAdopted',
    ]);
  });

  it('reports the ledger position after appends', async () => {
    const store = server.app.get<EventStore>(EVENT_STORE);
    await store.append('health-probe', [
      { type: 'Probed', data: { n: 1 } },
      { type: 'Probed', data: { n: 2 } },
    ]);
    const body = (await (await fetch(`${server.url}/health`)).json()) as { position: number };
    expect(body.position).toBe(4);
  });

  it('keeps the ledger in one file under KEYLEDGER_DATA_DIR', () => {
    expect(fs.existsSync(path.join(dataDir, 'ledger.sqlite'))).toBe(true);
  });
});

describe('keyledger serve with a bad ledger or configuration', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyledger-badstart-'));
  });

  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a corrupted ledger file with one line naming the file, and leaves the file untouched', async () => {
    const file = path.join(dataDir, 'ledger.sqlite');
    const garbage = Buffer.alloc(64 * 1024, 0x5a);
    fs.writeFileSync(file, garbage);
    const result = await runCli(['serve'], { KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(file);
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(fs.readFileSync(file).equals(garbage)).toBe(true);
  });

  it('refuses an invalid KEYLEDGER_PORT naming the variable', async () => {
    const result = await runCli(['serve'], { KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '99999' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('KEYLEDGER_PORT must be an integer from 0 to 65535, got "99999"');
  });

  it('refuses an invalid KEYLEDGER_REQUEST_TIMEOUT_MS naming the variable', async () => {
    const result = await runCli(['serve'], {
      KEYLEDGER_DATA_DIR: dataDir,
      KEYLEDGER_PORT: '0',
      KEYLEDGER_REQUEST_TIMEOUT_MS: '30s',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'KEYLEDGER_REQUEST_TIMEOUT_MS must be a whole number of milliseconds from 100 to 600000, got "30s"',
    );
  });

  it('refuses a malformed policy file naming the file, the line and the field, and writes nothing', async () => {
    const file = path.join(dataDir, 'policy.yaml');
    fs.writeFileSync(file, 'version: 1\napprovals:\n  destroy-key: 2\n  register-hsm: twelve\n');
    const result = await runCli(['serve'], {
      KEYLEDGER_DATA_DIR: dataDir,
      KEYLEDGER_PORT: '0',
      KEYLEDGER_POLICY: file,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `KEYLEDGER_POLICY ${file} line 4, column 17: "approvals.register-hsm" expected an integer from 0 to 9, got "twelve"`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dataDir, 'ledger.sqlite'))).toBe(false);
  });

  it('refuses an unknown KEYLEDGER_EVENTSTORE', async () => {
    const result = await runCli(['serve'], {
      KEYLEDGER_DATA_DIR: dataDir,
      KEYLEDGER_EVENTSTORE: 'mysql://user:pw@db/x',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'KEYLEDGER_EVENTSTORE must be "sqlite", an esdb:// or a postgres:// connection string, got "mysql:…"',
    );
    expect(result.stderr).not.toContain('pw@');
  });
});

describe('a second service on the same data directory', () => {
  let dataDir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyledger-lock-'));
    server = await startServer(loadConfig({ KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' }));
  });

  afterAll(async () => {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('is refused with the pid of the process that holds the ledger, and the first keeps serving', async () => {
    const result = await runCli(['serve'], {
      KEYLEDGER_DATA_DIR: dataDir,
      KEYLEDGER_PORT: '0',
      KEYLEDGER_DEMO_HSMS: '0',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`data directory ${dataDir} is in use by process ${process.pid}`);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('is allowed once the first has stopped, and after a holder died without releasing the lock', async () => {
    await server.close();
    fs.writeFileSync(path.join(dataDir, 'keyledger.lock'), '2147483646\n'); // a pid no process has
    server = await startServer(loadConfig({ KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' }));
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(fs.readFileSync(path.join(dataDir, 'keyledger.lock'), 'utf8').trim()).toBe(String(process.pid));
  });
});
