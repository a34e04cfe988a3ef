/**
 * The behaviour every HSM reached through the `Hsm` client must have (docs/style.md §7): the soft
 * HSM in process, over a Unix socket and over TCP, and real libhal behind cryptech_muxd. `start`
 * makes a running HSM from a master KEK; each runner decides what "running" means.
 */
import type { Hsm } from '../../src/hsm-adapter';
import { basicsContract } from './contract/basics';
import type {
  ConnectOptions,
  ContractContext,
  HsmUnderTest,
  StartHsm,
  StartOptions,
} from './contract/context';
import { KEK_A, KEK_B } from './contract/context';
import { hashsigRangeContract } from './contract/hashsig-ranges';
import { keystoreContract } from './contract/keystore';
import { rawExportContract } from './contract/raw-export';
import { signingContract } from './contract/signing';
import { transitContract } from './contract/transit';

export type { HsmUnderTest, StartHsm, StartOptions } from './contract/context';

export function describeHsmContract(name: string, start: StartHsm): void {
  describe(`${name} HSM contract`, () => {
    const running: HsmUnderTest[] = [];
    const perTest: { clients: Hsm[]; hsms: HsmUnderTest[] } = { clients: [], hsms: [] };
    let hsms: Pick<ContractContext, 'a' | 'b' | 'c' | 'd'> | undefined;

    const startTracked = async (options: StartOptions, into: HsmUnderTest[]) => {
      const hsm = await start(options);
      into.push(hsm);
      return hsm;
    };
    const need = () => {
      if (!hsms) throw new Error('the HSMs under test did not start');
      return hsms;
    };
    const ctx: ContractContext = {
      get a() {
        return need().a;
      },
      get b() {
        return need().b;
      },
      get c() {
        return need().c;
      },
      get d() {
        return need().d;
      },
      async client(hsm: HsmUnderTest, options?: ConnectOptions) {
        const client = await hsm.connect(options);
        perTest.clients.push(client);
        return client;
      },
      fresh: (options: StartOptions) => startTracked(options, perTest.hsms),
    };

    beforeAll(async () => {
      const [a, b, c, d] = await Promise.all([
        startTracked({ kek: KEK_A }, running),
        startTracked({ kek: KEK_A }, running),
        startTracked({ kek: KEK_B }, running),
        startTracked({ kek: KEK_A, rawExport: false }, running),
      ]);
      hsms = { a, b, c, d };
    });

    afterEach(async () => {
      for (const client of perTest.clients.splice(0)) client.disconnect();
      await Promise.all(perTest.hsms.splice(0).map((hsm) => hsm.stop()));
    });

    afterAll(async () => {
      await Promise.all(running.splice(0).map((hsm) => hsm.stop()));
    });

    basicsContract(ctx);
    signingContract(ctx);
    keystoreContract(ctx);
    transitContract(ctx);
    rawExportContract(ctx);
    hashsigRangeContract(ctx);
  });
}
