import { Command, Option } from 'commander';
import { ApiClient, clientSettings, output, seg, table, type HsmJson } from './api-client';

/** `GET /v1/hsms/{hsm}/keys`: the residency read model. */
interface ResidencyJson {
  hsmId: string;
  hsm: string;
  count: number;
  keys: Record<string, { hsmKeyName: string; copyId: string; status: string; since: string }>;
}

/** `POST /v1/hsms/{hsm}/reconcile`. */
interface ReconcileJson {
  hsm: string;
  expected: string[];
  observed: string[];
  drift: { hsmKeyName: string; kind: string; keyId?: string }[];
}

type Json = { json?: boolean };

const client = () => new ApiClient(clientSettings());

function hsmText(h: HsmJson): string {
  return [
    `hsm ${h.name} (${h.hsmId})`,
    `  status      ${h.status}`,
    `  endpoint    ${h.endpoint}`,
    `  kek domain  ${h.kekDomainId ?? '-'}`,
    `  keys        ${h.residentKeys}/${h.capacity}`,
    `  registered  ${h.registeredAt}`,
  ].join('\n');
}

function reconcileText(r: ReconcileJson): string {
  const head = `reconciled ${r.hsm}: ${r.expected.length} keys expected by the ledger, ${r.observed.length} on the HSM`;
  if (r.drift.length === 0) return `${head}; no drift`;
  return [
    `${head}; ${r.drift.length} drift (recorded in the ledger, nothing changed on the HSM)`,
    table([
      ['DRIFT', 'HSM KEY NAME', 'KEY'],
      ...r.drift.map((d) => [d.kind, d.hsmKeyName, d.keyId ?? '-']),
    ]).replace(/^/gm, '  '),
  ].join('\n');
}

/** `keyledger hsms list | show | keys | register | reconcile | zeroized`: the HSMs the service knows. */
export function registerHsmsCommand(program: Command): void {
  const hsms = program
    .command('hsms')
    .description('HSMs registered with the keyledger service (KEYLEDGER_URL)');

  hsms
    .command('list')
    .description('list registered HSMs')
    .option('--json', 'print JSON')
    .action(async (options: Json) => {
      const list = await client().get<HsmJson[]>('/v1/hsms');
      output(options.json, list, () =>
        list.length === 0
          ? 'no HSMs registered'
          : table([
              ['NAME', 'ID', 'STATUS', 'KEYS', 'KEK DOMAIN', 'ENDPOINT'],
              ...list.map((h) => [
                h.name,
                h.hsmId,
                h.status,
                `${h.residentKeys}/${h.capacity}`,
                h.kekDomainId ?? '-',
                h.endpoint,
              ]),
            ]),
      );
    });

  hsms
    .command('show')
    .description('one HSM: status, endpoint, KEK domain, keys held of its capacity')
    .argument('<hsm>', 'HSM id or name')
    .option('--json', 'print JSON')
    .action(async (hsm: string, options: Json) => {
      const view = await client().get<HsmJson>(`/v1/hsms/${seg(hsm)}`);
      output(options.json, view, () => hsmText(view));
    });

  hsms
    .command('keys')
    .description(
      'keys taking a slot on the HSM (live, or disabled awaiting deletion), from the residency read model',
    )
    .argument('<hsm>', 'HSM id or name')
    .option('--json', 'print JSON')
    .action(async (hsm: string, options: Json) => {
      const residency = await client().get<ResidencyJson>(`/v1/hsms/${seg(hsm)}/keys`);
      const rows = Object.entries(residency.keys).sort(([, a], [, b]) => a.since.localeCompare(b.since));
      output(options.json, residency, () =>
        [
          `${residency.hsm} (${residency.hsmId}): ${residency.count} ${residency.count === 1 ? 'key' : 'keys'}`,
          ...(rows.length === 0
            ? []
            : [
                table([
                  ['KEY', 'HSM KEY NAME', 'STATUS', 'SINCE'],
                  ...rows.map(([keyId, r]) => [keyId, r.hsmKeyName, r.status, r.since]),
                ]),
              ]),
        ].join('\n'),
      );
    });

  hsms
    .command('register')
    .description('register an HSM; the PIN goes to the service secret store, never to the ledger')
    .requiredOption('--name <name>', 'unique name, e.g. hsm-c')
    .requiredOption('--endpoint <endpoint>', '"unix:/path" or "tcp://host:port"')
    .addOption(
      new Option('--pin <pin>', 'user PIN (better: set KEYLEDGER_HSM_PIN, kept out of the process list)').env(
        'KEYLEDGER_HSM_PIN',
      ),
    )
    .option('--capacity <n>', 'keys the HSM holds at most', (v) => Number(v))
    .option('--json', 'print JSON')
    .action(
      async (
        options: { name: string; endpoint: string; pin?: string; capacity?: number } & Json,
        command: Command,
      ) => {
        if (options.pin === undefined)
          command.error('error: give --pin or set KEYLEDGER_HSM_PIN', { exitCode: 2 });
        if (options.capacity !== undefined && !Number.isInteger(options.capacity))
          command.error('error: --capacity must be an integer', { exitCode: 2 });
        const hsm = await client().post<HsmJson>('/v1/hsms', {
          name: options.name,
          endpoint: options.endpoint,
          pin: options.pin,
          ...(options.capacity === undefined ? {} : { capacity: options.capacity }),
        });
        output(options.json, hsm, () => `registered ${hsm.name} (${hsm.hsmId}) at ${hsm.endpoint}`);
      },
    );

  hsms
    .command('reconcile')
    .description(
      "compare the HSM's key listing with the ledger; drift is recorded, never fixed (exit 0 unless --fail-on-drift)",
    )
    .argument('<hsm>', 'HSM id or name')
    .option('--fail-on-drift', 'exit 1 when the report lists drift')
    .option('--json', 'print JSON')
    .action(async (hsm: string, options: { failOnDrift?: boolean } & Json) => {
      const report = await client().post<ReconcileJson>(`/v1/hsms/${seg(hsm)}/reconcile`);
      output(options.json, report, () => reconcileText(report));
      if (options.failOnDrift && report.drift.length > 0) {
        process.stderr.write(`keyledger: drift found on ${report.hsm} (--fail-on-drift)\n`);
        process.exitCode = 1;
      }
    });

  hsms
    .command('prefetch')
    .description(
      'page keys in onto the HSM ahead of their use (making room by the paging policy); one line per key',
    )
    .argument('<hsm>', 'HSM id or name')
    .argument('<keyIds...>', 'key ids (at most 256)')
    .option('--json', 'print JSON')
    .action(async (hsm: string, keyIds: string[], options: Json) => {
      const answer = await client().post<{
        items: { keyId: string; outcome: string; hsm?: string; problem?: { detail?: string } }[];
      }>(`/v1/hsms/${seg(hsm)}/prefetch`, { keyIds });
      output(options.json, answer, () =>
        answer.items
          .map((i) =>
            i.outcome === 'failed'
              ? `${i.keyId}: failed: ${i.problem?.detail ?? 'unknown error'}`
              : `${i.keyId}: ${i.outcome}${i.hsm === undefined ? '' : ` (${i.hsm})`}`,
          )
          .join('\n'),
      );
      if (answer.items.some((i) => i.outcome === 'failed')) process.exitCode = 1;
    });

  hsms
    .command('zeroized')
    .description(
      'record that the HSM was zeroized: it leaves its KEK domain and every key on it is recorded gone',
    )
    .argument('<hsm>', 'HSM id or name')
    .option('--yes', 'confirm')
    .option('--json', 'print JSON')
    .action(async (hsm: string, options: { yes?: boolean } & Json, command: Command) => {
      if (!options.yes)
        command.error(
          `error: recording a zeroization of ${hsm} takes it out of its KEK domain and records every key on it gone; repeat with --yes`,
          { exitCode: 2 },
        );
      const view = await client().post<HsmJson>(`/v1/hsms/${seg(hsm)}/zeroized`);
      output(
        options.json,
        view,
        () => `recorded the zeroization of ${view.name} (${view.hsmId})\n${hsmText(view)}`,
      );
    });
}
