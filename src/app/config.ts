import * as path from 'node:path';
import { DEFAULT_POLICY } from '../domain/approval/policy';
import { loadPolicyFile } from './approvals/policy-file';
import type { ConfiguredPolicy } from './approvals/policy';

/**
 * The service's configuration, read once from the environment and validated at that boundary:
 * a bad value stops start-up with a message naming the variable and what it expects.
 */
export interface KeyledgerConfig {
  /** Directory for the embedded ledger, read models and the local secret store. */
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** `sqlite` (embedded, default) or an `esdb://` / `esdb+discover://` connection string. */
  readonly eventStore: { kind: 'sqlite' } | { kind: 'esdb'; url: string };
  /**
   * The approval policy of `KEYLEDGER_POLICY` (YAML or JSON), or the documented default. It is the
   * ledger's first policy; later changes go through approval (src/app/approvals/policy.ts).
   */
  readonly policy: ConfiguredPolicy;
  /**
   * `KEYLEDGER_REQUEST_TIMEOUT_MS`: a request (headers and body) must have arrived within this,
   * else the connection is answered 408 and closed (headers alone get less, see src/api/http.ts).
   */
  readonly requestTimeoutMs: number;
}

/** A client that has not sent its whole request within 30 s is not a client of this API. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Below 100 ms a request on a busy loopback could fail; above 10 min a trickle ties up a socket for long. */
const REQUEST_TIMEOUT_RANGE_MS = [100, 600_000] as const;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): KeyledgerConfig {
  const dataDir = path.resolve(env.KEYLEDGER_DATA_DIR?.trim() || './data');
  const host = env.KEYLEDGER_HOST?.trim() || '127.0.0.1';
  const port = parsePort(env.KEYLEDGER_PORT);
  const raw = (env.KEYLEDGER_EVENTSTORE ?? '').trim();
  let eventStore: KeyledgerConfig['eventStore'];
  if (raw === '' || raw === 'sqlite') {
    eventStore = { kind: 'sqlite' };
  } else if (/^esdb(\+discover)?:\/\//.test(raw)) {
    eventStore = { kind: 'esdb', url: raw };
  } else {
    throw new ConfigError(
      `KEYLEDGER_EVENTSTORE must be "sqlite" or an esdb:// connection string, got "${raw.slice(0, 40)}"`,
    );
  }
  const policyFile = env.KEYLEDGER_POLICY?.trim();
  const policy: ConfiguredPolicy = policyFile
    ? { policy: loadPolicyFile(path.resolve(policyFile)), source: path.resolve(policyFile) }
    : { policy: DEFAULT_POLICY, source: 'default' };
  const requestTimeoutMs = parseRequestTimeout(env.KEYLEDGER_REQUEST_TIMEOUT_MS);
  return { dataDir, host, port, eventStore, policy, requestTimeoutMs };
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 8080;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`KEYLEDGER_PORT must be an integer from 0 to 65535, got "${raw}"`);
  }
  return port;
}

function parseRequestTimeout(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_REQUEST_TIMEOUT_MS;
  const [min, max] = REQUEST_TIMEOUT_RANGE_MS;
  const ms = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!(ms >= min && ms <= max)) {
    throw new ConfigError(
      `KEYLEDGER_REQUEST_TIMEOUT_MS must be a whole number of milliseconds from ${min} to ${max}, got "${raw.slice(0, 40)}"`,
    );
  }
  return ms;
}
