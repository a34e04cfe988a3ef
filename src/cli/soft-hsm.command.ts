import type { Command } from 'commander';

// The software HSM loads when a `soft-hsm` command runs, not when the CLI starts (see main.ts).
/* eslint-disable @typescript-eslint/no-require-imports */
const softHsmModule = (): typeof import('../soft-hsm') => require('../soft-hsm');
const softHsmOptions = (): typeof import('../soft-hsm/options') => require('../soft-hsm/options');
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The soft HSM's default capacity (src/soft-hsm/options DEFAULT_CAPACITY), for the help text only,
 * which must not load the soft HSM; soft-hsm.command.spec.ts keeps the two equal.
 */
export const SOFT_HSM_DEFAULT_CAPACITY = 1000;

/**
 * `keyledger soft-hsm …`: create, serve, re-key and zeroize a software HSM that speaks the Cryptech
 * libhal RPC protocol (see src/soft-hsm). The master KEK is never printed or logged.
 */

/** Where cryptech_muxd listens unless told otherwise (docs/libhal-rpc.md §1.3). */
export const DEFAULT_RPC_SOCKET = '/tmp/.cryptech_muxd.rpc';

function fail(message: string): never {
  throw new Error(message);
}

/** `--kek-hex`: exactly 64 hex digits. The value itself never appears in a message. */
export function parseKekHex(text: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]*$/.test(hex)) fail('--kek-hex must be 64 hex digits (32 bytes), got non-hex characters');
  if (hex.length !== 64) fail(`--kek-hex must be 64 hex digits (32 bytes), got ${hex.length}`);
  return Buffer.from(hex, 'hex');
}

export function parsePin(pin: string): string {
  const n = Buffer.byteLength(pin, 'utf8');
  if (n < 4 || n > 4096) fail(`--pin must be 4 to 4096 bytes, got ${n}`);
  return pin;
}

function parseInteger(option: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) fail(`${option} must be an integer, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    fail(`${option} must be between ${min} and ${max}, got ${text}`);
  return n;
}

/** `--listen HOST:PORT` (IPv6 hosts in brackets: `[::1]:9000`). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!m) fail(`--listen must be HOST:PORT (e.g. 127.0.0.1:9000 or [::1]:9000), got "${text}"`);
  return { host: m[1] ?? m[2], port: parseInteger('--listen port', m[3], 0, 65535) };
}

function requireState(state: string | undefined): string {
  if (!state) fail('--state DIR is required');
  return state;
}

interface InitOptions {
  state?: string;
  kekHex?: string;
  kekGenerate?: boolean;
  pin?: string;
}

interface ServeOptions {
  state?: string;
  socket?: string;
  listen?: string;
  capacity?: string;
  rawExport: boolean;
  pinDelayMs?: string;
}

function init(options: InitOptions): void {
  const state = requireState(options.state);
  if ((options.kekHex === undefined) === !options.kekGenerate)
    fail('give exactly one of --kek-hex HEX and --kek-generate');
  const kek = options.kekHex === undefined ? undefined : parseKekHex(options.kekHex);
  const pin = options.pin === undefined ? undefined : parsePin(options.pin);
  softHsmModule().createSoftHsmState(state, { kek, pin });
  kek?.fill(0);
  console.log(
    `initialised a soft HSM in ${state}: master KEK ${kek ? 'from --kek-hex' : 'generated (not shown)'}, ` +
      (pin ? 'wheel, SO and user PINs set' : 'factory wheel PIN, SO and user PINs unset'),
  );
}

async function serve(options: ServeOptions): Promise<void> {
  const state = requireState(options.state);
  if (options.socket !== undefined && options.listen !== undefined)
    fail('give at most one of --socket PATH and --listen HOST:PORT');
  const capacity =
    options.capacity === undefined
      ? softHsmOptions().DEFAULT_CAPACITY
      : parseInteger('--capacity', options.capacity, 1, 1_000_000);
  const pinDelayMs =
    options.pinDelayMs === undefined
      ? undefined
      : parseInteger('--pin-delay-ms', options.pinDelayMs, 0, 600_000);
  const tcp = options.listen === undefined ? undefined : parseListen(options.listen);
  const socketPath = tcp
    ? undefined
    : (options.socket ?? process.env.CRYPTECH_RPC_CLIENT_SOCKET_NAME ?? DEFAULT_RPC_SOCKET);
  const server = await softHsmModule().startSoftHsmServer({
    stateDir: state,
    socketPath,
    host: tcp?.host,
    port: tcp?.port,
    capacity,
    rawExport: options.rawExport,
    pinDelayMs,
    ecdsaWorker: true,
    log: (line) => console.error(line),
  });
  const where =
    server.address.type === 'unix'
      ? `unix:${server.address.path}`
      : `tcp:${server.address.host}:${server.address.port}`;
  console.log(
    `soft HSM listening on ${where} (state ${state}, capacity ${capacity}, raw export ${options.rawExport ? 'on' : 'off'})`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.error(`soft-hsm: ${signal}, shutting down`);
      server.close().then(resolve, (error: unknown) => {
        console.error(`soft-hsm: shutdown failed: ${String(error)}`);
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

export function registerSoftHsmCommand(program: Command): void {
  const softHsm = program
    .command('soft-hsm')
    .description(
      'a software HSM speaking the Cryptech libhal RPC protocol (for development, demos and drills)',
    );

  softHsm
    .command('init')
    .description('create a new soft HSM state directory')
    .option('--state <dir>', 'state directory to create')
    .option('--kek-hex <hex>', 'master KEK, 64 hex digits (never printed)')
    .option(
      '--kek-generate',
      'generate a random master KEK (it is not shown: raw blobs then only import on this HSM)',
    )
    .option('--pin <pin>', 'set the wheel, SO and user PINs (default: factory wheel PIN, others unset)')
    .action((options: InitOptions) => init(options));

  softHsm
    .command('serve')
    .description('serve the libhal RPC protocol like cryptech_muxd (Unix socket or TCP)')
    .option('--state <dir>', 'state directory (see "soft-hsm init")')
    .option(
      '--socket <path>',
      'Unix socket path (default $CRYPTECH_RPC_CLIENT_SOCKET_NAME or /tmp/.cryptech_muxd.rpc)',
    )
    .option('--listen <host:port>', 'listen on TCP instead of a Unix socket')
    .option('--capacity <n>', `token keys the keystore holds (default ${SOFT_HSM_DEFAULT_CAPACITY})`)
    .option(
      '--no-raw-export',
      'answer EXPORT_RAW/IMPORT_RAW (32/33) with RPC_BAD_FUNCTION like stock firmware',
    )
    .option('--pin-delay-ms <ms>', 'delay before answering a wrong PIN (default 5000; tests use 0)')
    .action((options: ServeOptions) => serve(options));

  softHsm
    .command('kek')
    .description('master KEK operations')
    .command('set')
    .description('enter the master KEK "from the console" into a blank or zeroized soft HSM')
    .option('--state <dir>', 'state directory')
    .option('--kek-hex <hex>', 'master KEK, 64 hex digits (never printed)')
    .action((options: { state?: string; kekHex?: string }) => {
      const state = requireState(options.state);
      if (options.kekHex === undefined) fail('--kek-hex HEX is required');
      const kek = parseKekHex(options.kekHex);
      softHsmModule().enterMasterKek(state, kek);
      kek.fill(0);
      console.log(`master KEK of ${state} set`);
    });

  softHsm
    .command('zeroize')
    .description('tamper response: destroy the master KEK and every token key (PINs are kept)')
    .option('--state <dir>', 'state directory')
    .action((options: { state?: string }) => {
      const state = requireState(options.state);
      softHsmModule().zeroizeSoftHsm(state);
      console.log(`soft HSM ${state} zeroized: master KEK and all keys destroyed, PINs kept`);
    });
}
