import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TOKEN_FILE_NAME } from '../api/api-token';
import { ApiClient, clientSettings, output, printable, seg, table } from './api-client';

/** An operator as the service answers it (`token` only from an enrolment or a rotation). */
export interface OperatorJson {
  operatorId: string;
  name: string;
  role: string;
  status: string;
  enrolledAt: string;
  enrolledBy: string | null;
  basis: string;
  tokenIssuedAt: string | null;
  revokedAt: string | null;
  token?: string;
}

type Json = { json?: boolean };

const ROLES = ['officer', 'operator', 'auditor'];
const client = () => new ApiClient(clientSettings());

function operatorText(o: OperatorJson): string {
  return [
    `operator ${printable(o.name)} (${o.operatorId})`,
    `  role      ${o.role}`,
    `  status    ${o.status}${o.revokedAt ? ` since ${o.revokedAt}` : ''}`,
    `  enrolled  ${o.enrolledAt}${o.enrolledBy ? ` by ${o.enrolledBy}` : ''} (${o.basis})`,
    ...(o.tokenIssuedAt ? [`  token     issued ${o.tokenIssuedAt}`] : []),
  ].join('\n');
}

/** The token, once, with what to do with it: it is never shown again. */
function tokenText(o: OperatorJson, what: string): string {
  return [
    `${what} ${printable(o.name)} (${o.operatorId}), ${o.role}`,
    `  token: ${o.token}`,
    '  shown this once: hand it to the operator (KEYLEDGER_TOKEN); the ledger keeps only its SHA-256',
  ].join('\n');
}

/**
 * When the caller rotated its own token and took it from the data directory's api-token file,
 * the file gets the new one (the old one no longer works); true when it did.
 */
function updateOwnTokenFile(env: NodeJS.ProcessEnv, token: string): string | undefined {
  if (env.KEYLEDGER_TOKEN?.trim()) return undefined;
  const file = path.join(path.resolve(env.KEYLEDGER_DATA_DIR?.trim() || './data'), TOKEN_FILE_NAME);
  if (!fs.existsSync(file)) return undefined;
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${token}\n`, { mode: 0o600 });
  // A temp file left by an earlier crash keeps its old mode under writeFileSync: force it.
  fs.chmodSync(temp, 0o600);
  fs.renameSync(temp, file);
  return file;
}

/** `keyledger operators list | show | enrol | role | rotate | revoke`: who may use the service. */
export function registerOperatorsCommand(program: Command): void {
  const operators = program
    .command('operators')
    .description('operators (officer, operator, auditor) and their bearer tokens');

  operators
    .command('list')
    .description('list operators, active and revoked')
    .option('--json', 'print JSON')
    .action(async (options: Json) => {
      const list = await client().get<OperatorJson[]>('/v1/operators');
      output(options.json, list, () =>
        table([
          ['NAME', 'ID', 'ROLE', 'STATUS', 'ENROLLED', 'BASIS'],
          ...list.map((o) => [printable(o.name), o.operatorId, o.role, o.status, o.enrolledAt, o.basis]),
        ]),
      );
    });

  operators
    .command('show')
    .description('one operator')
    .argument('<id>', 'operator id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: Json) => {
      const o = await client().get<OperatorJson>(`/v1/operators/${seg(id)}`);
      output(options.json, o, () => operatorText(o));
    });

  operators
    .command('enrol')
    .description(
      'enrol an operator (officers only; an officer needs approvals once the ledger has M + 1 officers)',
    )
    .requiredOption('--name <name>', 'unique among active operators, e.g. alice')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--json', 'print JSON')
    .action(async (options: { name: string; role: string } & Json, command: Command) => {
      if (!ROLES.includes(options.role))
        command.error(`error: --role must be one of ${ROLES.join(', ')}`, { exitCode: 2 });
      const o = await client().post<OperatorJson>('/v1/operators', {
        name: options.name,
        role: options.role,
      });
      output(options.json, o, () => tokenText(o, 'enrolled'));
    });

  operators
    .command('role')
    .description("change an operator's role (officers only; promotion to officer needs approvals)")
    .argument('<id>', 'operator id')
    .argument('<role>', `one of ${ROLES.join(', ')}`)
    .option('--json', 'print JSON')
    .action(async (id: string, role: string, options: Json, command: Command) => {
      if (!ROLES.includes(role))
        command.error(`error: <role> must be one of ${ROLES.join(', ')}`, { exitCode: 2 });
      const o = await client().patch<OperatorJson>(`/v1/operators/${seg(id)}`, { role });
      output(options.json, o, () => operatorText(o));
    });

  operators
    .command('rotate')
    .description(
      "issue a new token for an operator (officers; anyone for their own: 'me'); the old one stops working at once",
    )
    .argument('<id>', "operator id, or 'me'")
    .option('--json', 'print JSON')
    .action(async (id: string, options: Json) => {
      const o = await client().post<OperatorJson>(
        id === 'me' ? '/v1/operators/me/token' : `/v1/operators/${seg(id)}/token`,
      );
      const me = await client()
        .get<OperatorJson>('/v1/operators/me')
        .catch(() => undefined);
      // Our own token changed: the request above was the old token's last one.
      const file =
        me === undefined && o.token !== undefined ? updateOwnTokenFile(process.env, o.token) : undefined;
      output(options.json, o, () =>
        [
          tokenText(o, 'new token for'),
          ...(file ? [`  (written to ${file}, where this CLI found the old one)`] : []),
        ].join('\n'),
      );
    });

  operators
    .command('revoke')
    .description('revoke an operator (officers only): its token stops working at once')
    .argument('<id>', 'operator id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: Json) => {
      const o = await client().delete<OperatorJson>(`/v1/operators/${seg(id)}`);
      output(options.json, o, () => `revoked ${printable(o.name)} (${o.operatorId})`);
    });
}

/** `keyledger whoami`: the operator the token belongs to. */
export function registerWhoamiCommand(program: Command): void {
  program
    .command('whoami')
    .description('the operator your token (KEYLEDGER_TOKEN, or the api-token file) belongs to')
    .option('--json', 'print JSON')
    .action(async (options: Json) => {
      const me = await client().get<OperatorJson>('/v1/operators/me');
      output(options.json, me, () => operatorText(me));
    });
}
