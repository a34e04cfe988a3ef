/**
 * `keyledger backup setup|import|export`: Cryptech `cryptech_backup` files (docs/libhal-rpc.md §8)
 * through the service's `/v1/backups` routes, so every key that comes in or goes out is in the
 * ledger. `setup --soft` is the exception: a software KEKEK is made here, on the operator's machine,
 * so its passphrase never leaves it (the service needs it only to import a file written to it).
 *
 * A passphrase comes from `--passphrase-file` or is asked on the terminal without echo; it is never
 * printed, logged or put on the command line. Files written here are mode 0600 and never
 * overwritten. The libraries a soft KEKEK needs load only when `setup --soft` runs (main.ts).
 */
import { Command, Option } from 'commander';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { ApiClient, UsageError, abbr, clientSettings, output, table } from './api-client';

type Json = { json?: boolean };

interface SetupJson {
  hsm: string;
  file: string;
  kekekUuid: string;
  kekekSpkiSha256: string;
  bits: number;
  reused: boolean;
}

interface ImportJson {
  hsm: string;
  fileSha256: string;
  kekek: { kind: 'hsm' | 'soft'; uuid: string | null; spkiSha256: string };
  items: {
    index: number;
    sourceUuid: string;
    outcome: 'new-key' | 'new-holder' | 'already-on-hsm' | 'skipped';
    keyId: string | null;
    type: string | null;
    hsmKeyName: string | null;
    detail: string | null;
  }[];
  imported: number;
  skipped: number;
}

interface ExportJson {
  hsm: string;
  file: string;
  fileSha256: string;
  kekek: { kind: 'hsm' | 'soft'; uuid: string | null; spkiSha256: string; bits: number };
  exported: { keyId: string; type: string; sourceUuid: string }[];
  skipped: { keyId: string; type: string; reason: string }[];
}

const client = () => new ApiClient(clientSettings());

// Loaded only by `setup --soft` (see main.ts: nothing a command may not need loads at start-up).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const backupFiles = (): typeof import('../lib/cryptech-backup') => require('../lib/cryptech-backup');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const softKekeks = (): typeof import('../lib/soft-kekek') => require('../lib/soft-kekek');

function readText(file: string, option: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${option} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** Writes a file keyledger made: 0600, never over an existing one; `-` is standard output. */
function writeNew(out: string, text: string): void {
  if (out === '-') {
    process.stdout.write(text);
    return;
  }
  try {
    fs.writeFileSync(out, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'EEXIST'
        ? `${out} already exists: keyledger does not overwrite a backup or setup file; remove it or choose another name`
        : `cannot write ${out}: ${code ?? (error as Error).message}`,
    );
  }
}

/** The passphrase: the first line of `--passphrase-file`, else asked on the terminal (twice to confirm a new one). */
async function passphrase(file: string | undefined, purpose: string, confirm: boolean): Promise<string> {
  if (file !== undefined) {
    const text = readText(file, '--passphrase-file').replace(/\r?\n$/, '');
    if (text === '' || text.includes('\n'))
      throw new UsageError('--passphrase-file must hold the passphrase on its one line');
    return text;
  }
  if (process.stdin.isTTY !== true)
    throw new UsageError(
      `${purpose} needs a passphrase: give --passphrase-file (there is no terminal to ask on)`,
    );
  const first = await askHidden('KEKEK passphrase: ');
  if (first === '') throw new UsageError('the passphrase must not be empty');
  if (confirm && (await askHidden('KEKEK passphrase again: ')) !== first)
    throw new UsageError('the two passphrases differ; nothing was written');
  return first;
}

/** Reads one line from the terminal without echoing it (raw mode); Ctrl-C cancels. */
function askHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new UsageError('cancelled; nothing was done'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    // Echo off before the prompt shows, so nothing typed after it is echoed.
    input.setRawMode(true);
    process.stderr.write(prompt);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
  });
}

/** cryptech_backup's own test for a software KEKEK: both fields present. Unparsable text goes to the service, which says what is wrong. */
function namesSoftKekek(text: string): boolean {
  try {
    const doc = JSON.parse(text) as unknown;
    return typeof doc === 'object' && doc !== null && 'kekek_pkcs8' in doc && 'kekek_salt' in doc;
  } catch {
    return false;
  }
}

const OUTCOME_TEXT: Record<ImportJson['items'][number]['outcome'], string> = {
  'new-key': 'new key',
  'new-holder': 'new holder',
  'already-on-hsm': 'already on HSM',
  skipped: 'skipped',
};

export function registerBackupCommand(program: Command): void {
  const backup = program
    .command('backup')
    .description(
      "Cryptech cryptech_backup files: a KEKEK's setup file, keys imported from a backup file, keys exported to one",
    );

  backup
    .command('setup')
    .description(
      'write a setup file naming a KEKEK: an RSA key generated (or found again) on --hsm, or with --soft a software keypair under a passphrase (cryptech_backup setup [-s])',
    )
    .requiredOption('-o, --output <file>', 'setup file to write (- for standard output)')
    .option('--hsm <hsm>', 'HSM to hold the KEKEK (not with --soft)')
    .option('--soft', 'a software KEKEK, made here and kept in the file under a passphrase')
    .addOption(
      new Option('--bits <n>', 'RSA modulus of a new KEKEK')
        .choices(['2048', '3072', '4096'])
        .default('2048'),
    )
    .option('--new', 'generate a new KEKEK even if the HSM has one recorded (cryptech_backup setup -n)')
    .option(
      '--passphrase-file <file>',
      'with --soft: read the passphrase from this file (else asked on the terminal)',
    )
    .option('--json', 'print JSON')
    .action(
      async (
        options: {
          output: string;
          hsm?: string;
          soft?: boolean;
          bits: string;
          new?: boolean;
          passphraseFile?: string;
        } & Json,
        command: Command,
      ) => {
        const bits = Number(options.bits);
        if (options.soft) {
          if (options.hsm !== undefined || options.new)
            command.error('error: --soft makes the KEKEK here: give neither --hsm nor --new', {
              exitCode: 2,
            });
          const secret = await passphrase(options.passphraseFile, 'a software KEKEK', true);
          const soft = softKekeks().generateSoftKekek(secret, bits);
          const files = backupFiles();
          writeNew(options.output, files.formatBackupJson(files.setupDocument({ kind: 'soft', ...soft })));
          const spkiSha256 = createHash('sha256').update(soft.pubkey).digest('hex');
          const summary = { kind: 'soft', file: options.output, bits, kekekSpkiSha256: spkiSha256 };
          if (options.output !== '-')
            output(options.json, summary, () =>
              [
                `wrote ${options.output}: a software KEKEK (RSA-${bits}, SPKI sha256 ${abbr(spkiSha256)}) under your passphrase`,
                'keep the file and the passphrase: an import of a backup written to it needs both',
              ].join('\n'),
            );
          return;
        }
        if (options.hsm === undefined) command.error('error: give --hsm H, or --soft', { exitCode: 2 });
        if (options.passphraseFile !== undefined)
          command.error('error: --passphrase-file is for --soft only', { exitCode: 2 });
        const result = await client().post<SetupJson>('/v1/backups/setup', {
          hsm: options.hsm,
          bits,
          ...(options.new ? { new: true } : {}),
        });
        writeNew(options.output, result.file);
        const { file: _file, ...summary } = result;
        if (options.output !== '-')
          output(
            options.json,
            summary,
            () =>
              `wrote ${options.output}: KEKEK ${result.kekekUuid} on ${result.hsm} (RSA-${result.bits}, SPKI sha256 ${abbr(result.kekekSpkiSha256)}), ${result.reused ? 'the one recorded before' : 'newly generated'}`,
          );
      },
    );

  backup
    .command('import')
    .description(
      'import every key of a cryptech_backup file onto an HSM; each is recorded with its provenance (source uuid, file sha256). All or nothing: a bad file imports no key',
    )
    .requiredOption('--file <file>', 'the backup file (cryptech_backup export, or keyledger backup export)')
    .requiredOption(
      '--hsm <hsm>',
      'HSM to import onto: it holds the KEKEK, or gets a software KEKEK for the import',
    )
    .option('--passphrase-file <file>', "a software KEKEK's passphrase (else asked on the terminal)")
    .option('--json', 'print JSON')
    .action(async (options: { file: string; hsm: string; passphraseFile?: string } & Json) => {
      const text = readText(options.file, '--file');
      const secret = namesSoftKekek(text)
        ? await passphrase(options.passphraseFile, `${options.file} (a software KEKEK)`, false)
        : undefined;
      const result = await client().post<ImportJson>('/v1/backups/import', {
        hsm: options.hsm,
        file: text,
        ...(secret === undefined ? {} : { passphrase: secret }),
      });
      output(options.json, result, () => {
        const rows = result.items.map((i) => [
          String(i.index),
          i.sourceUuid,
          OUTCOME_TEXT[i.outcome],
          i.keyId ?? '-',
          i.type ?? '-',
          i.detail ?? '',
        ]);
        const added = result.items.filter((i) => i.outcome === 'new-holder').length;
        return [
          ...(rows.length === 0
            ? []
            : [table([['ENTRY', 'SOURCE UUID', 'OUTCOME', 'KEY', 'TYPE', 'DETAIL'], ...rows])]),
          `imported ${result.imported} key(s) from ${options.file} onto ${result.hsm} (${result.imported - added} new, ${added} new holder(s)); ${result.skipped} skipped; file sha256 ${abbr(result.fileSha256)}`,
        ].join('\n');
      });
    });

  backup
    .command('export')
    .description(
      "write keys resident on an HSM to a cryptech_backup file under a setup file's KEKEK, readable by cryptech_backup import; hashsig keys are refused (the format cannot carry their state)",
    )
    .requiredOption('--hsm <hsm>', 'HSM the keys are exported from')
    .requiredOption(
      '--setup <file>',
      'the setup file of the destination (cryptech_backup setup, or keyledger backup setup)',
    )
    .requiredOption('-o, --output <file>', 'backup file to write (- for standard output)')
    .option('--key <keyId...>', 'keys to export (default: every RSA/EC key resident on the HSM)')
    .option('--json', 'print JSON')
    .action(async (options: { hsm: string; setup: string; output: string; key?: string[] } & Json) => {
      const setup = readText(options.setup, '--setup');
      const result = await client().post<ExportJson>('/v1/backups/export', {
        hsm: options.hsm,
        setup,
        ...(options.key === undefined ? {} : { keyIds: options.key }),
      });
      writeNew(options.output, result.file);
      for (const s of result.skipped)
        process.stderr.write(`keyledger: skipped key ${s.keyId} (${s.type}): ${s.reason}\n`);
      const { file: _file, ...summary } = result;
      if (options.output !== '-')
        output(
          options.json,
          summary,
          () =>
            `wrote ${result.exported.length} key(s) from ${result.hsm} to ${options.output} (file sha256 ${abbr(result.fileSha256)}, KEKEK ${result.kekek.uuid ?? 'software'} RSA-${result.kekek.bits}); ${result.skipped.length} skipped`,
        );
    });
}
