import { Command, Option } from 'commander';
import { ApiClient, clientSettings, output, table, usageExits, type ClientSettings } from './api-client';

interface HsmJson {
  hsmId: string;
  name: string;
  endpoint: string;
  kekDomainId: string | null;
  capacity: number;
  status: string;
  residentKeys: number;
}

const client = (settings?: ClientSettings) => new ApiClient(settings ?? clientSettings());

/** `keyledger hsms list | register`: the HSMs the service knows. */
export function registerHsmsCommand(program: Command): void {
  const hsms = program
    .command('hsms')
    .description('HSMs registered with the keyledger service (KEYLEDGER_URL)');

  usageExits(hsms.command('list'))
    .description('list registered HSMs')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
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

  usageExits(hsms.command('register'))
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
        options: { name: string; endpoint: string; pin?: string; capacity?: number; json?: boolean },
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
}
