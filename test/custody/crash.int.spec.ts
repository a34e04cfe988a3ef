/**
 * Crash at every step (issue 4 acceptance): a child process runs one raw export, raw import or
 * transfer and SIGKILLs itself at a fault point; then the application starts again through
 * CustodyModule (its process manager runs on bootstrap) and the ledger must hold no open intent,
 * lose no key, give no hashsig copy two live holders, and agree with what the HSMs hold.
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { join } from 'node:path';
import { loadConfig } from '../../src/app/config';
import type { KeyView } from '../../src/app/custody/views';
import { CustodyModule } from '../../src/app/custody.module';
import { LedgerModule } from '../../src/app/ledger.module';
import {
  CUSTODY_FAULT_POINTS as FAULT_POINTS,
  type FaultPoint,
} from '../../src/app/process-manager/fault-points';
import { ProcessManager } from '../../src/app/process-manager/process-manager';
import { openEventStore } from '../../src/server/open-event-store';
import { runTs } from '../support/ts-child';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import {
  custodyClient,
  directClient,
  holdersPerCopy,
  openCustody,
  registerInDomain,
  startHsm,
  type TestHsm,
} from './support';

const CHILD = join(__dirname, 'fixtures', 'custody-child.ts');

async function startApp(dataDir: string): Promise<INestApplicationContext> {
  const config = loadConfig({ KEYLEDGER_DATA_DIR: dataDir });
  const store = await openEventStore(config);
  @Module({ imports: [LedgerModule.forRoot(config, store), CustodyModule] })
  class RestartModule {}
  const app = await NestFactory.createApplicationContext(RestartModule, { logger: false });
  await app.init();
  return app;
}

type Case = {
  point: FaultPoint;
  type: 'ec' | 'hashsig';
  op: 'rawExport' | 'rawImport' | 'transfer';
  evict?: boolean;
};

const CASES: Case[] = [
  ...FAULT_POINTS.filter((p) => p.startsWith('raw-export:')).flatMap((point): Case[] => [
    { point, type: 'hashsig', op: 'rawExport' },
    { point, type: 'ec', op: 'rawExport', evict: true },
  ]),
  ...FAULT_POINTS.filter((p) => p.startsWith('raw-import:')).flatMap((point): Case[] => [
    { point, type: 'hashsig', op: 'rawImport' },
    { point, type: 'ec', op: 'rawImport' },
  ]),
  ...FAULT_POINTS.filter((p) => p.startsWith('transfer:')).map((point): Case => ({
    point,
    type: 'hashsig',
    op: 'transfer',
  })),
];

describe('SIGKILL at every fault point, then restart', () => {
  let dir: string;
  let hsms: TestHsm[];

  beforeAll(async () => {
    dir = await makeTempDir('custody-crash-');
    hsms = [await startHsm(dir, 'a'), await startHsm(dir, 'b')];
    const custody = await openCustody(dir);
    await registerInDomain(custody.service, hsms);
    await custody.close();
  });
  afterAll(async () => {
    for (const h of hsms) await h.stop();
    await removeTempDir(dir);
  });

  it('covers every fault point', () => {
    expect(new Set(CASES.map((c) => c.point))).toEqual(new Set(FAULT_POINTS));
  });

  it.each(CASES)(
    '$op of a $type key killed at $point',
    async (c) => {
      // Arrange in this process, then hand the ledger to the child.
      const custody = await openCustody(dir);
      const k = await custody.service.generateKey({
        hsm: 'a',
        type: c.type,
        levels: 1,
        lms: 'H5',
        lmots: 'W8',
        label: 'crash',
      });
      if (c.type === 'hashsig') await custody.service.sign(k.keyId, { data: Buffer.from('before') });
      if (c.op === 'rawImport') await custody.service.rawExport(k.keyId, { hsm: 'a', evict: true });
      await custody.close();

      const input =
        c.op === 'transfer'
          ? { from: 'a', to: 'b' }
          : c.op === 'rawImport'
            ? { hsm: 'b' }
            : { hsm: 'a', evict: c.evict };
      const child = await runTs(CHILD, [dir, JSON.stringify({ op: c.op, keyId: k.keyId, ...input })], {
        env: { ...process.env, KEYLEDGER_FAULT: c.point },
      });
      expect({ code: child.code, stderr: child.stderr }).toEqual({ code: null, stderr: '' });

      const app = await startApp(dir);
      try {
        const report = app.get(ProcessManager).lastReport!;
        expect(report.errors).toEqual([]);
        const svc = custodyClient(app);
        const view = await svc.getKey(k.keyId);
        expect(view.openOperations).toEqual([]);
        expect(view.obligations).toEqual([]);
        expect(view.holders.length).toBeGreaterThan(0);
        if (c.type === 'hashsig') for (const n of holdersPerCopy(view).values()) expect(n).toBe(1);
        await expectLedgerAgreesWithHsms(view, hsms);
        // The key still works: it signs wherever the ledger says it lives (or after an import).
        if (!view.holders.some((h) => h.kind === 'hsm')) await svc.rawImport(k.keyId, { hsm: 'a' });
        const signed = await svc.sign(k.keyId, { data: Buffer.from('after restart') });
        expect(signed.signature.length).toBeGreaterThan(0);
      } finally {
        await app.close();
      }
    },
    120_000,
  );
});

/** Every HSM holder opens by its name, and no HSM holds an instance of the key the ledger does not list. */
async function expectLedgerAgreesWithHsms(view: KeyView, hsms: readonly TestHsm[]): Promise<void> {
  for (const h of hsms) {
    const client = await directClient(h);
    try {
      const listed = new Set(
        view.holders.filter((x) => x.kind === 'hsm' && x.hsm === h.name).map((x) => x.hsmKeyName),
      );
      const holding: string[] = [];
      for (const name of await client.match({})) {
        const handle = await client.open(name);
        if ((await client.getPublicKey(handle)).equals(view.publicKey)) holding.push(name);
        await client.close(handle);
      }
      expect({ hsm: h.name, holding: holding.sort() }).toEqual({ hsm: h.name, holding: [...listed].sort() });
    } finally {
      client.disconnect();
    }
  }
}
