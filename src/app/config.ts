import * as path from 'node:path';
import { DEFAULT_POLICY } from '../domain/approval/policy';
import { loadPolicyFile } from './approvals/policy-file';
import type { ConfiguredPolicy } from './approvals/policy';
import { paging } from '../domain';

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
  readonly eventStore: { kind: 'sqlite' } | { kind: 'esdb'; url: string } | { kind: 'postgres'; url: string };
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
  /**
   * `KEYLEDGER_CHECKPOINT_EVERY`: when the audit checkpointer signs a new tree head — after this many
   * new events, or this long after the first event not yet covered, whichever comes first; `off`
   * signs none (docs/architecture.md §6).
   */
  readonly checkpointEvery: CheckpointEvery;
  /** `KEYLEDGER_AUDIT_ORIGIN`: the origin line of this ledger's checkpoints, when the audit key is made. */
  readonly auditOrigin: string | undefined;
  /**
   * `KEYLEDGER_PAGING` (`on`, the default, or `off`) and `KEYLEDGER_PAGING_POLICY` (`w-tinylfu`, the
   * default, or `lru`): whether a sign with a key no HSM holds pages it in, making room by the
   * policy (docs/architecture.md §4 "Key paging"). Off, such a sign is refused as before.
   */
  readonly paging: PagingConfig;
}

export type PagingPolicyKind = paging.PolicyKind;

export const PAGING_POLICIES: readonly PagingPolicyKind[] = paging.POLICY_KINDS;

export interface PagingConfig {
  readonly enabled: boolean;
  readonly policy: PagingPolicyKind;
}

export type CheckpointEvery = { readonly events: number | null; readonly seconds: number | null };

/** A checkpoint per 1,000 new events, and none older than a minute behind a write. */
export const DEFAULT_CHECKPOINT_EVERY: CheckpointEvery = { events: 1000, seconds: 60 };

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
  } else if (/^postgres(ql)?:\/\//.test(raw)) {
    eventStore = { kind: 'postgres', url: raw };
  } else {
    // Only the scheme is echoed: a connection string may carry a password.
    throw new ConfigError(
      `KEYLEDGER_EVENTSTORE must be "sqlite", an esdb:// or a postgres:// connection string, got "${raw.split(':')[0].slice(0, 20)}:…"`,
    );
  }
  const policyFile = env.KEYLEDGER_POLICY?.trim();
  const policy: ConfiguredPolicy = policyFile
    ? { policy: loadPolicyFile(path.resolve(policyFile)), source: path.resolve(policyFile) }
    : { policy: DEFAULT_POLICY, source: 'default' };
  const requestTimeoutMs = parseRequestTimeout(env.KEYLEDGER_REQUEST_TIMEOUT_MS);
  const checkpointEvery = parseCheckpointEvery(env.KEYLEDGER_CHECKPOINT_EVERY);
  const auditOrigin = parseOrigin(env.KEYLEDGER_AUDIT_ORIGIN);
  const paging = parsePaging(env.KEYLEDGER_PAGING, env.KEYLEDGER_PAGING_POLICY);
  return {
    dataDir,
    host,
    port,
    eventStore,
    policy,
    requestTimeoutMs,
    checkpointEvery,
    auditOrigin,
    paging,
  };
}

function parsePaging(enabled: string | undefined, policy: string | undefined): PagingConfig {
  const on = (enabled ?? '').trim().toLowerCase();
  if (!['', 'on', 'off'].includes(on))
    throw new ConfigError(`KEYLEDGER_PAGING must be "on" or "off", got "${on.slice(0, 40)}"`);
  const kind = (policy ?? '').trim().toLowerCase() || paging.DEFAULT_POLICY_KIND;
  if (!(PAGING_POLICIES as readonly string[]).includes(kind))
    throw new ConfigError(
      `KEYLEDGER_PAGING_POLICY must be one of ${PAGING_POLICIES.join(', ')}, got "${kind.slice(0, 40)}"`,
    );
  return { enabled: on !== 'off', policy: kind as PagingPolicyKind };
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

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600 };

/** `1000`, `60s`, `5m`, `1000,60s` (whichever comes first), or `off`. */
function parseCheckpointEvery(raw: string | undefined): CheckpointEvery {
  const value = raw?.trim() ?? '';
  if (value === '') return DEFAULT_CHECKPOINT_EVERY;
  if (value === 'off') return { events: null, seconds: null };
  let events: number | null = null;
  let seconds: number | null = null;
  for (const part of value.split(',').map((p) => p.trim())) {
    const count = /^[1-9]\d{0,8}$/.test(part) ? Number(part) : undefined;
    const time = /^([1-9]\d{0,5})(s|m|h)$/.exec(part);
    if (count !== undefined && events === null) events = count;
    else if (time !== null && seconds === null) seconds = Number(time[1]) * UNIT_SECONDS[time[2]!]!;
    else {
      throw new ConfigError(
        `KEYLEDGER_CHECKPOINT_EVERY must be a number of events (e.g. 1000), a time (e.g. 60s, 5m, 1h), both separated by a comma, or off; got "${value.slice(0, 40)}"`,
      );
    }
  }
  return { events, seconds };
}

/** An origin line (c2sp.org/tlog-checkpoint): non-empty, no spaces or plus signs, bounded. */
function parseOrigin(raw: string | undefined): string | undefined {
  const value = raw?.trim() ?? '';
  if (value === '') return undefined;
  if (!/^[\x21-\x2a\x2c-\x7e]{1,200}$/.test(value)) {
    throw new ConfigError(
      `KEYLEDGER_AUDIT_ORIGIN must be 1 to 200 printable ASCII characters without spaces or "+", e.g. example.com/keyledger; got "${value.slice(0, 40)}"`,
    );
  }
  return value;
}
