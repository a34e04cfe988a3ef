import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, LogLevel } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { resolveApiToken, type ApiToken } from '../api/api-token';
import { configureHttp, createHttpAdapter, httpTimeouts } from '../api/http';
import { AppModule } from './app.module';
import type { KeyledgerConfig } from '../app/config';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { registerDemoHsms, startDemoHsms, type DemoOptions, type RunningDemoHsms } from './demo-hsms';
import type { PidLock } from '../lib/pid-lock';
import { lockDataDir as lockDirectory } from './data-dir-lock';
import { openEventStore } from './open-event-store';
import { CustodyCore } from '../app/custody/custody-core';
import { OperatorsService } from '../app/operators/operators';
import { prepareDataDir } from './data-dir';

export { DATA_DIR_LOCK } from './data-dir-lock';

function lockDataDir(config: KeyledgerConfig): PidLock | undefined {
  // EventStoreDB is built for several instances; only the embedded ledger is single-process.
  if (config.eventStore.kind === 'esdb') return undefined;
  // Several instances share a PostgreSQL ledger, but each keeps its own read models and token file.
  if (config.eventStore.kind === 'postgres')
    return lockDirectory(
      config.dataDir,
      (pid) =>
        `data directory ${config.dataDir} is in use by ${pid === undefined ? 'a service in this process' : `process ${pid}`}; ` +
        'instances sharing a PostgreSQL ledger each need a KEYLEDGER_DATA_DIR of their own (it holds their read models)',
    );
  return lockDirectory(config.dataDir, (pid) =>
    pid === undefined
      ? `data directory ${config.dataDir} is already in use by a service in this process`
      : `data directory ${config.dataDir} is in use by process ${pid} (another "keyledger serve"?); ` +
        'two services on one embedded ledger would each drive the same open operations',
  );
}

export interface RunningServer {
  readonly app: INestApplication;
  readonly url: string;
  /** The bootstrap token (never logged by the service itself): the first officer's on a new ledger. */
  readonly token: ApiToken;
  /**
   * Whether `token` is an active operator's on this ledger. Not on a ledger that had operators
   * before this data directory's token was made (a copied ledger, another instance's PostgreSQL
   * ledger): then requests with it get 401.
   */
  readonly tokenIsOperators: boolean;
  /** The demo HSMs, when started (`KEYLEDGER_DEMO_HSMS`). */
  readonly demo: RunningDemoHsms | undefined;
  close(): Promise<void>;
}

export interface ServerOptions {
  readonly logLevels?: LogLevel[];
  /** `KEYLEDGER_TOKEN`; when absent the token file in the data directory is used (created if need be). */
  readonly token?: string;
  /** Start and register the two demo soft HSMs (`npm start`); off unless asked for. */
  readonly demoHsms?: boolean | DemoOptions;
}

// package.json sits two levels up from both src/server (tests) and dist/server (installed).
const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  version: string;
};

/**
 * Opens the ledger, starts the demo HSMs if asked, builds the Nest application on them and starts
 * listening; then registers the demo HSMs (idempotently) through the custody service.
 */
export async function startServer(
  config: KeyledgerConfig,
  options: ServerOptions = {},
): Promise<RunningServer> {
  // Before anything is opened in it: the ledger, read models, token and PINs are the user's alone.
  prepareDataDir(config.dataDir, (line) => console.warn(line));
  const lock = lockDataDir(config);
  let token: ApiToken;
  let store: Awaited<ReturnType<typeof openEventStore>>;
  try {
    token = resolveApiToken(config.dataDir, options.token);
    store = await openEventStore(config);
  } catch (error) {
    lock?.release();
    throw error;
  }
  let demo: RunningDemoHsms | undefined;
  let app: NestFastifyApplication | undefined;
  try {
    if (options.demoHsms) {
      demo = await startDemoHsms(config.dataDir, options.demoHsms === true ? {} : options.demoHsms);
    }
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot(config, store, { apiToken: token.value }),
      createHttpAdapter(httpTimeouts(config.requestTimeoutMs)),
      { logger: options.logLevels ?? ['error', 'warn'], abortOnError: false, bodyParser: false },
    );
    configureHttp(app, version);
    app.enableShutdownHooks();
    await app.listen(config.port, config.host);
    if (demo !== undefined) {
      await registerDemoHsms(
        // The service's own actor: the demo is what whoever ran `npm start` configured.
        {
          commands: app.get(CommandBus),
          queries: app.get(QueryBus),
          actor: app.get(CustodyCore).systemActor(),
        },
        demo,
        config.dataDir,
        (line) => console.warn(line),
      );
    }
  } catch (error) {
    if (app !== undefined) await app.close().catch(() => undefined);
    else await store.close().catch(() => undefined);
    await demo?.close().catch(() => undefined);
    lock?.release();
    throw error;
  }
  const running = app;
  const tokenIsOperators = (await running.get(OperatorsService).authenticate(token.value)) !== undefined;
  const address = running.getHttpServer().address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    app: running,
    url: `http://${host}:${address.port}`,
    token,
    tokenIsOperators,
    demo,
    close: async () => {
      try {
        await running.close();
        await demo?.close();
      } finally {
        lock?.release();
      }
    },
  };
}
