import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, LogLevel } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import type { KeyledgerConfig } from './config';
import { openEventStore } from './open-event-store';

export interface RunningServer {
  readonly app: INestApplication;
  readonly url: string;
  close(): Promise<void>;
}

/** Builds the Nest application on the configured ledger and starts listening. */
export async function startServer(
  config: KeyledgerConfig,
  options: { logLevels?: LogLevel[] } = {},
): Promise<RunningServer> {
  const store = await openEventStore(config);
  let app: INestApplication;
  try {
    app = await NestFactory.create(AppModule.forRoot(config, store), {
      logger: options.logLevels ?? ['error', 'warn'],
      abortOnError: false,
    });
    app.enableShutdownHooks();
    await app.listen(config.port, config.host);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  const address = app.getHttpServer().address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { app, url: `http://${host}:${address.port}`, close: () => app.close() };
}
