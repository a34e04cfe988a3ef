import { Command } from 'commander';
import * as fs from 'node:fs';
import { ApiClient, clientSettings, output, seg } from './api-client';

interface BlobJson {
  sha256: string;
  keyId: string;
  status: string;
  blob: string;
}

/** `keyledger blobs show | present`: raw blobs kept in the ledger, and handing one in from outside. */
export function registerBlobsCommand(program: Command): void {
  const blobs = program.command('blobs').description('raw blobs in the custody ledger');

  blobs
    .command('show')
    .description('status of a blob; --out writes its bytes to a file (0600)')
    .argument('<sha256>')
    .option('--out <path>', 'write the blob bytes here')
    .option('--json', 'print JSON (includes the blob as base64)')
    .action(async (sha256: string, options: { out?: string; json?: boolean }) => {
      const blob = await new ApiClient(clientSettings()).get<BlobJson>(`/v1/blobs/${seg(sha256)}`);
      if (options.out !== undefined)
        fs.writeFileSync(options.out, Buffer.from(blob.blob, 'base64'), { mode: 0o600 });
      output(options.json, blob, () =>
        [
          `blob ${blob.sha256}`,
          `  key     ${blob.keyId}`,
          `  status  ${blob.status}`,
          `  bytes   ${Buffer.from(blob.blob, 'base64').length}${options.out ? ` (written to ${options.out})` : ''}`,
        ].join('\n'),
      );
    });

  blobs
    .command('present')
    .description(
      'hand in a blob from outside (an old backup); refused unless it is the current blob of its copy',
    )
    .requiredOption('--key <keyId>', 'the key the blob belongs to')
    .requiredOption('--file <path>', 'the blob file')
    .option('--json', 'print JSON')
    .action(async (options: { key: string; file: string; json?: boolean }, command: Command) => {
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(options.file);
      } catch (error) {
        return command.error(
          `error: cannot read --file ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          { exitCode: 2 },
        );
      }
      const result = await new ApiClient(clientSettings()).post<{ sha256: string; accepted: boolean }>(
        '/v1/blobs',
        {
          keyId: options.key,
          blob: bytes.toString('base64'),
        },
      );
      output(options.json, result, () => `blob ${result.sha256} accepted for key ${options.key}`);
    });
}
