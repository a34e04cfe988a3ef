/**
 * The embedded demo (issue 4 item 7): two software HSMs, `hsm-a` and `hsm-b`, sharing one master
 * KEK (one KEK domain), served on Unix sockets under the data directory and registered with the
 * service, so `npm start` gives a user something to try every operation on.
 *
 * Idempotent across restarts: the HSM state is created once; each HSM is registered only if the
 * ledger does not know it; the KEK domain is created once (hsm-a founds it, hsm-b joins by canary).
 * A PIN waits in a 0600 file only between creating the HSM and registering it, after which the
 * service's secret store holds it.
 */
import type { Actor } from '../app/actor';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  CreateKekDomainCommand,
  JoinKekDomainCommand,
  RegisterHsmCommand,
} from '../app/custody/custody.commands';
import { ListHsmsQuery } from '../app/custody/custody.queries';
import type { HsmView } from '../app/custody/views';
import { DEMO_HSM_DIR } from './data-dir';
import { createSoftHsmState, isInitialized, startSoftHsmServer, type SoftHsmServer } from '../soft-hsm';

export const DEMO_HSM_NAMES = ['hsm-a', 'hsm-b'] as const;
export const DEMO_KEK_DOMAIN = 'demo';
export const DEMO_CAPACITY = 1000;
const PENDING_PINS = 'pending-pins.json';
/** sun_path is 108 bytes on Linux, 104 on macOS. */
const MAX_SOCKET_PATH = 100;

export class DemoHsmError extends Error {}

export interface DemoHsm {
  readonly name: string;
  readonly endpoint: string;
  readonly stateDir: string;
}

export interface RunningDemoHsms {
  readonly hsms: readonly DemoHsm[];
  /** PINs of HSMs created but not yet registered (a crash may have come between). */
  readonly pendingPins: Readonly<Record<string, string>>;
  readonly capacity: number;
  close(): Promise<void>;
}

export interface DemoOptions {
  /** Keys each demo HSM holds at most (default 1000). */
  readonly capacity?: number;
  /** Wrong-PIN delay of the soft HSMs (default: libhal's 5 s). */
  readonly pinDelayMs?: number;
  readonly log?: (line: string) => void;
}

/** Whether `KEYLEDGER_DEMO_HSMS` asks for the demo HSMs: on unless "0", "false" or "off". */
export function demoHsmsEnabled(value: string | undefined): boolean {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === '1' || v === 'true' || v === 'on') return true;
  if (v === '0' || v === 'false' || v === 'off') return false;
  throw new DemoHsmError(`KEYLEDGER_DEMO_HSMS must be 1 or 0, got "${value!.slice(0, 20)}"`);
}

function pendingPinsFile(root: string): string {
  return path.join(root, PENDING_PINS);
}

function readPendingPins(root: string): Record<string, string> {
  try {
    const parsed = JSON.parse(fs.readFileSync(pendingPinsFile(root), 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new DemoHsmError(
      `${pendingPinsFile(root)} is unreadable; remove ${root} to create the demo HSMs anew`,
    );
  }
}

/**
 * Creates the demo HSMs' state on first start (one fresh KEK for both, a random PIN each) and
 * serves them on `<dataDir>/hsm-a.sock` and `<dataDir>/hsm-b.sock`.
 */
export async function startDemoHsms(dataDir: string, options: DemoOptions = {}): Promise<RunningDemoHsms> {
  const root = path.join(dataDir, DEMO_HSM_DIR);
  const hsms: DemoHsm[] = DEMO_HSM_NAMES.map((name) => ({
    name,
    stateDir: path.join(root, name),
    endpoint: `unix:${path.join(dataDir, `${name}.sock`)}`,
  }));
  for (const hsm of hsms) {
    if (hsm.endpoint.length - 'unix:'.length > MAX_SOCKET_PATH) {
      throw new DemoHsmError(
        `the demo HSM socket path ${hsm.endpoint.slice(5)} is too long for a Unix socket; use a shorter KEYLEDGER_DATA_DIR`,
      );
    }
  }
  const initialised = hsms.map((h) => isInitialized(h.stateDir));
  if (initialised.some(Boolean) && !initialised.every(Boolean)) {
    throw new DemoHsmError(
      `only some demo HSMs exist under ${root}; remove ${root} (and the demo HSMs from the ledger's data directory) to start over`,
    );
  }
  if (!initialised[0]) {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    const kek = randomBytes(32);
    const pins: Record<string, string> = {};
    try {
      for (const hsm of hsms) {
        const pin = randomBytes(18).toString('base64url');
        pins[hsm.name] = pin;
        // The PIN waits here until the service's secret store has it (see registerDemoHsms).
        fs.writeFileSync(pendingPinsFile(root), JSON.stringify(pins), { mode: 0o600 });
        createSoftHsmState(hsm.stateDir, { kek, pin });
      }
    } finally {
      kek.fill(0);
    }
  }
  const capacity = options.capacity ?? DEMO_CAPACITY;
  const servers: SoftHsmServer[] = [];
  try {
    for (const hsm of hsms) {
      servers.push(
        await startSoftHsmServer({
          stateDir: hsm.stateDir,
          socketPath: hsm.endpoint.slice('unix:'.length),
          capacity,
          pinDelayMs: options.pinDelayMs,
          ecdsaWorker: true,
          log: options.log,
        }),
      );
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
    throw error;
  }
  return {
    hsms,
    pendingPins: readPendingPins(root),
    capacity,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

/**
 * Registers the demo HSMs that the ledger does not know yet and puts them in one KEK domain:
 * hsm-a founds it, hsm-b joins by importing the canary. Safe to run on every start.
 */
export async function registerDemoHsms(
  {
    commands,
    queries,
    actor,
  }: { readonly commands: CommandBus; readonly queries: QueryBus; readonly actor: Actor },
  demo: RunningDemoHsms,
  dataDir: string,
  log: (line: string) => void = () => undefined,
): Promise<HsmView[]> {
  const root = path.join(dataDir, DEMO_HSM_DIR);
  const known = new Map((await queries.execute(new ListHsmsQuery())).map((h) => [h.name, h]));
  for (const hsm of demo.hsms) {
    if (known.has(hsm.name)) continue;
    const pin = Object.hasOwn(demo.pendingPins, hsm.name) ? demo.pendingPins[hsm.name] : undefined;
    if (pin === undefined) {
      throw new DemoHsmError(
        `demo HSM ${hsm.name} exists under ${root} but is not registered and its PIN is gone; remove ${root} to create the demo HSMs anew`,
      );
    }
    known.set(
      hsm.name,
      await commands.execute(
        new RegisterHsmCommand(
          { name: hsm.name, endpoint: hsm.endpoint, pin, capacity: demo.capacity },
          actor,
        ),
      ),
    );
  }
  // Every PIN is in the service's secret store now.
  fs.rmSync(pendingPinsFile(root), { force: true });

  const [founder, joiner] = DEMO_HSM_NAMES.map((name) => known.get(name)!);
  try {
    let domainId = founder.kekDomainId ?? joiner.kekDomainId;
    if (founder.kekDomainId === null && founder.status === 'active') {
      if (domainId === null) {
        domainId = (
          await commands.execute(
            new CreateKekDomainCommand({ name: DEMO_KEK_DOMAIN, hsm: founder.name }, actor),
          )
        ).kekDomainId;
      } else {
        await commands.execute(new JoinKekDomainCommand({ kekDomain: domainId, hsm: founder.name }, actor));
      }
    }
    if (joiner.kekDomainId === null && joiner.status === 'active' && domainId !== null) {
      await commands.execute(new JoinKekDomainCommand({ kekDomain: domainId, hsm: joiner.name }, actor));
    }
  } catch (error) {
    // E.g. a demo HSM zeroized in a drill whose KEK is not re-entered yet: the service still starts.
    log(`demo HSMs: KEK domain not set up: ${(error as Error).message}`);
  }
  return queries.execute(new ListHsmsQuery());
}
