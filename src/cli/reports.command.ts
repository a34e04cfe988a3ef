import type { Command } from 'commander';
import * as fs from 'node:fs';
import { ApiClient, clientSettings, seg } from './api-client';

const FORMATS = ['json', 'csv', 'html'];
/** The reports the service has when this was written; the service itself answers an unknown name with the list. */
const KNOWN = 'inventory, custody-chain (--key), hashsig-usage, dual-control';
/** What the service accepts, checked here only for shape: a position, or a time with a zone. */
const AS_OF = /^(\d{1,16}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))$/;

interface Options {
  format: string;
  asOf?: string;
  key?: string;
  out?: string;
}

/**
 * `keyledger report NAME [--format json|csv|html] [--as-of DATE|POSITION] [--key ID] [--out FILE]`:
 * a compliance report, written as the service renders it (the format decides; there is no --json).
 * To stdout, or to FILE with a line on stdout saying what was written.
 */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description(`a compliance report as of the head or a past ledger position or time (${KNOWN})`)
    .argument('<name>', `report name: ${KNOWN}`)
    .option('--format <format>', `json, csv or html`, 'json')
    .option(
      '--as-of <when>',
      'a ledger position (e.g. 1234) or a time with a zone (e.g. 2026-12-07T10:00:00Z); default: the head',
    )
    .option('--key <keyId>', 'the key (custody-chain)')
    .option('--out <file>', 'write the report to this file instead of stdout')
    .action(async (name: string, options: Options, command: Command) => {
      if (!FORMATS.includes(options.format))
        command.error(`error: --format must be one of ${FORMATS.join(', ')}`, { exitCode: 2 });
      if (options.asOf !== undefined && !AS_OF.test(options.asOf))
        command.error(
          'error: --as-of must be a ledger position (digits) or an ISO 8601 time with a zone, e.g. 2026-12-07T10:00:00Z',
          { exitCode: 2 },
        );
      const query = new URLSearchParams({ format: options.format });
      if (options.asOf !== undefined) query.set('asOf', options.asOf);
      if (options.key !== undefined) query.set('key', options.key);
      const { text, headers } = await new ApiClient(clientSettings()).getText(
        `/v1/reports/${seg(name)}?${query.toString()}`,
      );
      // Exactly the service's bytes, to stdout as to a file: `> x.json` keeps the JSON comparable.
      if (options.out === undefined) return void process.stdout.write(text);
      fs.writeFileSync(options.out, text);
      process.stdout.write(
        `${name} (${options.format}) as of ledger position ${headers.get('keyledger-as-of-position') ?? '?'} written to ${options.out}\n`,
      );
    });
}
