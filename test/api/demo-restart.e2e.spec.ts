/**
 * `npm start` twice on one data directory: the demo HSMs are created and registered once, the KEK
 * domain is created once, the token stays the same, and keys generated before the restart sign after it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../src/app/config';
import { startServer, type RunningServer } from '../../src/server/server';

describe('demo HSMs across a restart', () => {
  let dataDir: string;
  let server: RunningServer | undefined;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-'));
  });

  afterAll(async () => {
    await server?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const start = () =>
    startServer(loadConfig({ KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' }), {
      demoHsms: { pinDelayMs: 0 },
    });
  const get = async <T>(s: RunningServer, p: string, init: RequestInit = {}) => {
    const response = await fetch(`${s.url}${p}`, {
      ...init,
      headers: { authorization: `Bearer ${s.token.value}`, 'content-type': 'application/json' },
    });
    expect(response.ok).toBe(true);
    return (await response.json()) as T;
  };

  it('registers once, keeps the KEK domain and the token, and the keys still sign', async () => {
    server = await start();
    expect(server.token.source).toBe('generated');
    expect(fs.statSync(path.join(dataDir, 'api-token')).mode & 0o777).toBe(0o600);
    const key = await get<{ keyId: string }>(server, '/v1/keys', {
      method: 'POST',
      body: JSON.stringify({ hsm: 'hsm-b', type: 'ec' }),
    });
    const first = await get<{ hsmId: string; kekDomainId: string }[]>(server, '/v1/hsms');
    const position = ((await (await fetch(`${server.url}/health`)).json()) as { position: number }).position;
    const token = server.token.value;
    // The PINs live in the service's secret store only, not in a pending file of the demo.
    expect(fs.existsSync(path.join(dataDir, 'soft-hsm', 'pending-pins.json'))).toBe(false);
    await server.close();

    server = await start();
    expect(server.token).toEqual(expect.objectContaining({ source: 'file', value: token }));
    expect(await get(server, '/v1/hsms')).toEqual(first);
    // Nothing was appended by the second start.
    expect(((await (await fetch(`${server.url}/health`)).json()) as { position: number }).position).toBe(
      position,
    );
    const signed = await get<{ hsm: string }>(server, `/v1/keys/${key.keyId}/sign`, {
      method: 'POST',
      body: JSON.stringify({ data: 'aGVsbG8=' }),
    });
    expect(signed.hsm).toBe('hsm-b');
  });
});
