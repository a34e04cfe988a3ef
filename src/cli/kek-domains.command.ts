import type { Command } from 'commander';
import { ApiClient, abbr, clientSettings, hsmNamer, output, seg, table } from './api-client';

/** A KEK domain as the service answers it: `members` are HSM ids. */
interface KekDomainJson {
  kekDomainId: string;
  name: string;
  members: string[];
  canaryKeyId: string;
  canaryBlobSha256: string;
}

type Json = { json?: boolean };

const client = () => new ApiClient(clientSettings());

function domainText(d: KekDomainJson, hsm: (hsmId: string) => string): string {
  return [
    `kek domain ${d.name} (${d.kekDomainId})`,
    `  members  ${d.members.map((m) => hsm(m)).join(', ') || '-'}`,
    `  canary   key ${d.canaryKeyId}, blob ${d.canaryBlobSha256}`,
  ].join('\n');
}

/** `keyledger kek-domains list | create | join`: HSMs that share a master KEK, proven by a canary key. */
export function registerKekDomainsCommand(program: Command): void {
  const domains = program
    .command('kek-domains')
    .description('KEK domains: HSMs sharing one master KEK, so raw blobs of one import on another');

  domains
    .command('list')
    .description('list KEK domains with their member HSMs')
    .option('--json', 'print JSON')
    .action(async (options: Json) => {
      const api = client();
      const [list, hsm] = await Promise.all([api.get<KekDomainJson[]>('/v1/kek-domains'), hsmNamer(api)]);
      output(options.json, list, () =>
        list.length === 0
          ? 'no KEK domains'
          : table([
              ['NAME', 'ID', 'CANARY KEY', 'CANARY BLOB', 'MEMBERS'],
              ...list.map((d) => [
                d.name,
                d.kekDomainId,
                d.canaryKeyId,
                abbr(d.canaryBlobSha256),
                d.members.map((m) => hsm(m)).join(', ') || '-',
              ]),
            ]),
      );
    });

  domains
    .command('create')
    .description('create a KEK domain founded by an HSM (a canary key is generated there and raw-exported)')
    .requiredOption('--name <name>', 'unique name of the domain')
    .requiredOption('--hsm <hsm>', 'founding HSM, id or name (in no KEK domain yet)')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; hsm: string } & Json) => {
      const api = client();
      const domain = await api.post<KekDomainJson>('/v1/kek-domains', {
        name: options.name,
        hsm: options.hsm,
      });
      const hsm = options.json ? undefined : await hsmNamer(api);
      output(
        options.json,
        domain,
        () => `created KEK domain ${domain.name}, founded by ${options.hsm}\n${domainText(domain, hsm!)}`,
      );
    });

  domains
    .command('join')
    .description(
      "join an HSM to a KEK domain; it proves the domain's master KEK by importing the canary blob",
    )
    .argument('<kekDomain>', 'KEK domain id or name')
    .requiredOption('--hsm <hsm>', 'HSM id or name')
    .option('--json', 'print JSON')
    .action(async (kekDomain: string, options: { hsm: string } & Json) => {
      const api = client();
      const domain = await api.post<KekDomainJson>(`/v1/kek-domains/${seg(kekDomain)}/members`, {
        hsm: options.hsm,
      });
      const hsm = options.json ? undefined : await hsmNamer(api);
      output(
        options.json,
        domain,
        () => `${options.hsm} joined KEK domain ${domain.name}\n${domainText(domain, hsm!)}`,
      );
    });
}
