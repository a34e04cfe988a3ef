/**
 * `keyledger keys sign-batch --file F.jsonl` against the real service (demo HSMs): a file longer
 * than one request's 256 items, with `text` lines, blank lines and bad items, answered line by line
 * in order (each signature verifies); the summary on stderr and the exit code (0 all signed, 1 one
 * failed, 2 usage: an unreadable file or a line that is not JSON, with nothing sent).
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { rfc8554Verify } from '../hashsig/rfc8554-verify';
import { runCli } from '../support/cli';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { outcome, problemDetail } from './support/service';
import { startService, type KeyJson, type Service } from '../api/support/service';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** A port that was free a moment ago: nothing listens there. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

interface OutLine {
  line: number;
  keyId: unknown;
  signature?: string;
  hsm?: string;
  q?: number;
  error?: { type: string; title: string; status: number; detail: string };
}

function verifies(key: KeyJson, data: Buffer, signature: string): boolean {
  const bytes = Buffer.from(signature, 'base64');
  if (key.type === 'hashsig') return rfc8554Verify(Buffer.from(key.publicKeyRfc8554!, 'base64'), data, bytes);
  const publicKey = createPublicKey({
    key: Buffer.from(key.publicKey, 'base64'),
    format: 'der',
    type: 'spki',
  });
  return verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, bytes);
}

describe('keyledger keys sign-batch against the service', () => {
  let svc: Service;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let ec: KeyJson;
  let p384: KeyJson;
  let hashsig: KeyJson;

  const file = (name: string, lines: readonly string[]) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, lines.join('\n'));
    return p;
  };
  const parse = (stdout: string) =>
    stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as OutLine);
  /** A usage error: exit 2, nothing on stdout, the message then the command's help on stderr. */
  const usage = (r: { code: number | null; stdout: string; stderr: string }) => ({
    code: r.code,
    stdout: r.stdout,
    message: r.stderr.split('\n')[0],
    help: r.stderr.includes('\nUsage: keyledger keys sign-batch [options]\n'),
  });
  const goodLine = (key: KeyJson) =>
    JSON.stringify({ keyId: key.keyId, data: randomBytes(8).toString('base64') });
  const signatures = async (keyId: string) =>
    (await svc.json<KeyJson>('GET', `/v1/keys/${keyId}`)).hashsig!.signatures;

  beforeAll(async () => {
    svc = await startService();
    env = { KEYLEDGER_URL: svc.url, KEYLEDGER_TOKEN: svc.token };
    dir = await makeTempDir('kl-sign-batch-');
    [ec, p384, hashsig] = await Promise.all([
      svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' }),
      svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-b', type: 'ec', curve: 'P-384' }),
      svc.json<KeyJson>('POST', '/v1/keys', {
        hsm: 'hsm-a',
        type: 'hashsig',
        levels: 1,
        lms: 'H5',
        lmots: 'W8',
      }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    if (dir) await removeTempDir(dir);
  });

  it('signs a file of 600 lines in order across requests; failed lines carry the problem; exit 1', async () => {
    // Line n (1-based) of the file: what it asks, and what to expect.
    const lines: string[] = [];
    const expected = new Map<number, { key?: KeyJson; data?: Buffer; status?: number; keyId: unknown }>();
    for (let n = 1; n <= 600; n++) {
      if (n === 100 || n === 400) {
        lines.push('');
        continue;
      }
      const key = n % 3 === 0 ? p384 : ec;
      const data = randomBytes(20 + (n % 50));
      if (n === 257) {
        lines.push(JSON.stringify({ keyId: UNKNOWN, data: data.toString('base64') }));
        expected.set(n, { status: 404, keyId: UNKNOWN });
      } else if (n === 513) {
        lines.push(JSON.stringify({ keyId: key.keyId, data: 'aGVsbG8' }));
        expected.set(n, { status: 400, keyId: key.keyId });
      } else if (n % 50 === 1) {
        const text = `line ${n}: héllo`;
        lines.push(JSON.stringify({ keyId: key.keyId, text }));
        expected.set(n, { key, data: Buffer.from(text, 'utf8'), keyId: key.keyId });
      } else if (n === 302 || n === 303) {
        lines.push(JSON.stringify({ keyId: hashsig.keyId, data: data.toString('base64') }));
        expected.set(n, { key: hashsig, data, keyId: hashsig.keyId });
      } else {
        lines.push(JSON.stringify({ keyId: key.keyId, data: data.toString('base64') }));
        expected.set(n, { key, data, keyId: key.keyId });
      }
    }
    const result = await runCli(['keys', 'sign-batch', '--file', file('mixed.jsonl', lines)], env, 120_000);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 1,
      stderr: '596 signed, 2 failed\n',
    });
    const out = parse(result.stdout);
    expect(out.map((o) => o.line)).toEqual([...expected.keys()]);
    for (const o of out) {
      const want = expected.get(o.line)!;
      expect({ line: o.line, keyId: o.keyId }).toEqual({ line: o.line, keyId: want.keyId });
      if (want.status !== undefined) {
        expect({ line: o.line, status: o.error?.status, signature: o.signature }).toEqual({
          line: o.line,
          status: want.status,
          signature: undefined,
        });
        expect(o.error).toEqual(
          expect.objectContaining({
            type: expect.any(String),
            title: expect.any(String),
            detail: expect.any(String),
          }),
        );
      } else {
        expect({ line: o.line, verifies: verifies(want.key!, want.data!, o.signature!) }).toEqual({
          line: o.line,
          verifies: true,
        });
        expect(Object.keys(o)).toEqual(
          want.key === hashsig
            ? ['line', 'keyId', 'signature', 'hsm', 'q']
            : ['line', 'keyId', 'signature', 'hsm'],
        );
        expect(o.hsm).toBe(want.key === p384 ? 'hsm-b' : 'hsm-a');
      }
    }
    const [first, second] = out.filter((o) => o.keyId === hashsig.keyId);
    expect(first!.q).not.toBe(second!.q);
    expect(out.find((o) => o.line === 257)!.error!.detail).toContain(UNKNOWN);
  }, 150_000);

  it('exits 0 when every line was signed; --json gives the summary as JSON; --hsm names the HSM', async () => {
    const data = randomBytes(32);
    const p = file('good.jsonl', [
      JSON.stringify({ keyId: ec.keyId, data: data.toString('base64') }),
      JSON.stringify({ keyId: ec.keyId, text: 'hello' }),
    ]);
    const result = await runCli(['keys', 'sign-batch', '--file', p, '--hsm', 'hsm-a', '--json'], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: `${JSON.stringify({ signed: 2, failed: 0 })}\n`,
    });
    const [one, two] = parse(result.stdout);
    expect(verifies(ec, data, one!.signature!)).toBe(true);
    expect(verifies(ec, Buffer.from('hello'), two!.signature!)).toBe(true);
  });

  it('packs requests within the 1 MiB body limit; a line too large for any request fails alone (413)', async () => {
    const big = [1, 2, 3].map(() => randomBytes(300 * 1024));
    const huge = randomBytes(800 * 1024);
    const p = file('large.jsonl', [
      ...big.map((data) => JSON.stringify({ keyId: ec.keyId, data: data.toString('base64') })),
      JSON.stringify({ keyId: ec.keyId, data: huge.toString('base64') }),
      JSON.stringify({ keyId: ec.keyId, text: 'after' }),
    ]);
    const result = await runCli(['keys', 'sign-batch', '--file', p], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 1, stderr: '4 signed, 1 failed\n' });
    const out = parse(result.stdout);
    expect(out.map((o) => [o.line, o.error?.status ?? 'signed'])).toEqual([
      [1, 'signed'],
      [2, 'signed'],
      [3, 'signed'],
      [4, 413],
      [5, 'signed'],
    ]);
    big.forEach((data, i) => expect(verifies(ec, data, out[i]!.signature!)).toBe(true));
    expect(out[3]).toEqual({
      line: 4,
      keyId: ec.keyId,
      error: expect.objectContaining({ type: 'https://keyledger.dev/problems/body-too-large', status: 413 }),
    });
  });

  it('stops with exit 1 when the service refuses a whole request, saying where and which lines were not signed', async () => {
    const p = file('refused.jsonl', [
      JSON.stringify({ keyId: ec.keyId, text: 'x' }),
      '',
      JSON.stringify({ keyId: ec.keyId, text: 'y' }),
    ]);
    const detail = await problemDetail(svc, 'POST', '/v1/sign', {
      items: [{ keyId: ec.keyId, data: 'eA==' }],
      hsm: '../nowhere',
    });
    expect(outcome(await runCli(['keys', 'sign-batch', '--file', p, '--hsm', '../nowhere'], env))).toEqual({
      code: 1,
      stdout: '',
      stderr: `0 signed, 0 failed; stopped at line 1: the service refused the request for lines 1-3 (400); lines 1-3 not signed\nkeyledger: ${detail}\n`,
    });
  });

  it('says the service cannot be reached (not that it refused), naming the lines not signed; exit 1', async () => {
    const p = file('unreachable.jsonl', [goodLine(ec), goodLine(ec), '', goodLine(ec)]);
    const url = `http://127.0.0.1:${await freePort()}`;
    expect(
      outcome(await runCli(['keys', 'sign-batch', '--file', p], { ...env, KEYLEDGER_URL: url })),
    ).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `0 signed, 0 failed; stopped at line 1: cannot reach the keyledger service at ${url}; lines 1-4 not signed\n` +
        `keyledger: cannot reach the keyledger service at ${url} (ECONNREFUSED); is it running? (KEYLEDGER_URL)\n`,
    });
  });

  it('says the token was refused (401), naming the lines not signed; exit 1', async () => {
    const p = file('bad-token.jsonl', [goodLine(ec), goodLine(ec)]);
    const wrong = 'wrong-token-0123456789';
    const refused = await svc.call(
      'POST',
      '/v1/sign',
      { items: [JSON.parse(goodLine(ec))] },
      { auth: wrong },
    );
    expect(refused.status).toBe(401);
    const { detail } = (await refused.json()) as { detail: string };
    expect(
      outcome(await runCli(['keys', 'sign-batch', '--file', p], { ...env, KEYLEDGER_TOKEN: wrong })),
    ).toEqual({
      code: 1,
      stdout: '',
      stderr: `0 signed, 0 failed; stopped at line 1: the token was refused (401); lines 1-2 not signed\nkeyledger: ${detail}\n`,
    });
  });

  it('never prints the password of a KEYLEDGER_URL: such a URL is a usage error (exit 2), shown redacted', async () => {
    const p = file('secret-url.jsonl', [goodLine(ec)]);
    const result = await runCli(['keys', 'sign-batch', '--file', p], {
      ...env,
      KEYLEDGER_URL: 'http://user:s3cretpw@127.0.0.1:1',
    });
    expect(outcome(result)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'keyledger: KEYLEDGER_URL must not hold a user name or password, got "http://***@127.0.0.1:1"; the service takes KEYLEDGER_TOKEN\n',
    });
  });

  it("names an item's error by its line in the file, not by its index in the request", async () => {
    // Lines 1-299 (bad base64: refused by validation, nothing signed) fill the first request and 43
    // items of the second; line 300 is item 43 of the second request.
    const lines = Array.from({ length: 299 }, () => JSON.stringify({ keyId: ec.keyId, data: 'aGVsbG8' }));
    lines.push(JSON.stringify({ keyId: 'not a key!', data: 'aGk=' }));
    // What the service says of that item: its index in the request, `items.43`.
    const direct = await svc.json<{
      items: { detail: string; errors: { field: string; messages: string[] }[] }[];
    }>('POST', '/v1/sign', { items: lines.slice(256).map((l) => JSON.parse(l) as unknown) });
    const { detail, errors } = direct.items[43]!;
    expect(detail).toMatch(/^items\.43 is invalid: keyId /);
    expect(errors.map((e) => e.field)).toEqual(['items.43.keyId']);
    const result = await runCli(['keys', 'sign-batch', '--file', file('by-line.jsonl', lines)], env, 60_000);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 1,
      stderr: '0 signed, 300 failed\n',
    });
    const out = parse(result.stdout);
    expect(result.stdout).not.toContain('items.');
    for (const o of out) expect(o.error!.detail.startsWith(`line ${o.line}: data `)).toBe(o.line !== 300);
    expect(out[299]).toEqual({
      line: 300,
      keyId: 'not a key!',
      error: expect.objectContaining({
        type: 'https://keyledger.dev/problems/validation-failed',
        status: 400,
        detail: detail.replace('items.43 is invalid: ', 'line 300: '),
        errors: [{ ...errors[0], field: 'keyId' }],
      }),
    });
    expect(out[299]!.error!.detail).toMatch(/^line 300: keyId /);
  });

  describe('usage errors: exit 2, nothing sent', () => {
    let before: number;
    beforeEach(async () => {
      before = await signatures(hashsig.keyId);
    });
    afterEach(async () => {
      expect(await signatures(hashsig.keyId)).toBe(before);
    });

    const good = () => goodLine(hashsig);

    it('a line that is not JSON, named by its number (the line itself is not quoted)', async () => {
      const p = file('broken.jsonl', [good(), '', good(), '{"keyId": "secret-ish", data: }', good()]);
      expect(usage(await runCli(['keys', 'sign-batch', '--file', p], env))).toEqual({
        code: 2,
        stdout: '',
        message: `error: ${p} line 4 is not JSON`,
        help: true,
      });
    });

    it('a line that is JSON but not an object, and one with both data and text', async () => {
      const array = file('array.jsonl', [good(), '["a"]']);
      expect(usage(await runCli(['keys', 'sign-batch', '--file', array], env))).toEqual({
        code: 2,
        stdout: '',
        message: `error: ${array} line 2 is not a JSON object {"keyId", "data"}`,
        help: true,
      });
      const both = file('both.jsonl', [JSON.stringify({ keyId: hashsig.keyId, data: 'aGk=', text: 'hi' })]);
      expect(usage(await runCli(['keys', 'sign-batch', '--file', both], env))).toEqual({
        code: 2,
        stdout: '',
        message: `error: ${both} line 1: give "data" (base64) or "text" (a string), not both`,
        help: true,
      });
      const number = file('text-number.jsonl', [JSON.stringify({ keyId: hashsig.keyId, text: 5 })]);
      expect(usage(await runCli(['keys', 'sign-batch', '--file', number], env))).toEqual({
        code: 2,
        stdout: '',
        message: `error: ${number} line 1: "text" must be a string, got a number`,
        help: true,
      });
    });

    it('a file that cannot be read, and no --file', async () => {
      const missing = path.join(dir, 'no-such.jsonl');
      expect(usage(await runCli(['keys', 'sign-batch', '--file', missing], env))).toEqual({
        code: 2,
        stdout: '',
        message: `error: cannot read --file ${missing}: ENOENT`,
        help: true,
      });
      expect(usage(await runCli(['keys', 'sign-batch'], env))).toEqual({
        code: 2,
        stdout: '',
        message: "error: required option '--file <path>' not specified",
        help: true,
      });
    });
  });
});
