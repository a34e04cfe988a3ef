import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import {
  ApiClient,
  abbr,
  clientSettings,
  hsmNamer,
  output,
  printable,
  seg,
  table,
  type HsmJson,
} from './api-client';
import { registerSignBatchCommand } from './sign-batch.command';

interface KeyJson {
  keyId: string;
  type: string;
  state: string;
  label: string | null;
  params: Record<string, unknown>;
  publicKey: string;
  publicKeyRfc8554?: string;
  holders: {
    kind: string;
    copyId: string;
    hsmId?: string;
    hsm?: string;
    blobSha256?: string;
    since: string;
  }[];
  blobs: { sha256: string; status: string }[];
  currentBlob: string | null;
  hashsig?: { signatures: number; lastIndex: number | null; remaining: number };
  pinned: boolean;
}

const client = () => new ApiClient(clientSettings());

const holderText = (k: KeyJson): string =>
  k.holders
    .map((h) => (h.kind === 'hsm' ? (h.hsm ?? h.hsmId ?? '?') : `blob ${abbr(h.blobSha256)}`))
    .join(', ') || '-';

function keyText(k: KeyJson): string {
  const lines = [
    `key ${k.keyId}`,
    `  type     ${k.type} ${JSON.stringify(k.params)}`,
    `  state    ${k.state}${k.label ? `  label ${JSON.stringify(k.label)}` : ''}`,
    `  pinned   ${k.pinned ? 'yes (kept resident, never paged out)' : 'no'}`,
    `  holders  ${holderText(k)}`,
    `  current  ${k.currentBlob ?? '-'}`,
    ...k.blobs.map((b) => `  blob     ${b.sha256} ${b.status}`),
  ];
  if (k.hashsig)
    lines.push(
      `  hashsig  ${k.hashsig.signatures} signatures, last index ${k.hashsig.lastIndex ?? '-'}, ${k.hashsig.remaining} remaining`,
    );
  return lines.join('\n');
}

const HASHSIG_EXPORT_NOTE =
  "(a hashsig key's raw export takes it off the HSM: the firmware disables the exported copy and keyledger deletes it; raw-import the blob to sign again)";

/** What the single raw export did to the HSM's copy, read from the key after it. */
function exportNote(after: { type: string; leftHsm: boolean }, hsm: string): string {
  if (after.type === 'hashsig')
    return after.leftHsm
      ? `\nhashsig key: it left ${hsm} (the firmware disabled the exported copy and keyledger deleted it); raw-import the blob to sign with it again`
      : `\nhashsig key: its copy on ${hsm} is disabled by the export and awaits deletion (see keys show)`;
  return after.leftHsm ? ' (deleted from the HSM)' : '';
}

// Loaded only when a bar is shown (see main.ts: nothing a command may not need loads at start-up).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const progressBar = (): typeof import('cli-progress') => require('cli-progress');

const heldBy = (k: KeyJson, hsm: string) =>
  k.holders.some((h) => h.kind === 'hsm' && (h.hsm === hsm || h.hsmId === hsm));

/**
 * Progress of a bulk operation on stderr: a bar on a terminal, one plain line per key otherwise
 * (logs and CI), then a summary. Resolves to the number of failures.
 */
async function bulk(
  verb: string,
  keys: readonly KeyJson[],
  run: (key: KeyJson) => Promise<string>,
  concurrency = 4,
): Promise<{ ok: { keyId: string; result: string }[]; failed: { keyId: string; error: string }[] }> {
  const tty = process.stderr.isTTY === true;
  const bar = tty
    ? new (progressBar().SingleBar)({
        stream: process.stderr,
        format: `${verb} [{bar}] {value}/{total} keys | {failed} failed | eta {eta}s`,
        hideCursor: true,
      })
    : undefined;
  bar?.start(keys.length, 0, { failed: 0 });
  if (!tty) process.stderr.write(`${verb}: ${keys.length} keys\n`);
  const ok: { keyId: string; result: string }[] = [];
  const failed: { keyId: string; error: string }[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++];
      try {
        ok.push({ keyId: key.keyId, result: await run(key) });
        if (!tty) process.stderr.write(`${verb} ${done + 1}/${keys.length} ${key.keyId} ok\n`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failed.push({ keyId: key.keyId, error: message });
        if (!tty)
          process.stderr.write(`${verb} ${done + 1}/${keys.length} ${key.keyId} failed: ${message}\n`);
      }
      done++;
      bar?.update(done, { failed: failed.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
  bar?.stop();
  return { ok, failed };
}

function summary(
  verb: string,
  hsm: string,
  result: { ok: unknown[]; failed: { keyId: string; error: string }[] },
  details: readonly string[] = [],
): string {
  const lines = [
    `${verb} ${result.ok.length + result.failed.length} keys on ${hsm}: ${result.ok.length} ok, ${result.failed.length} failed`,
    ...details.map((d) => `  ${d}`),
  ];
  for (const f of result.failed) lines.push(`  ${f.keyId}: ${f.error}`);
  return lines.join('\n');
}

function readData(options: { data?: string; file?: string; text?: string }, command: Command): string {
  const given = [options.data, options.file, options.text].filter((v) => v !== undefined).length;
  if (given !== 1)
    command.error('error: give exactly one of --data BASE64, --file PATH and --text TEXT', { exitCode: 2 });
  if (options.data !== undefined) return options.data;
  if (options.text !== undefined) return Buffer.from(options.text, 'utf8').toString('base64');
  try {
    return fs.readFileSync(options.file!).toString('base64');
  } catch (error) {
    return command.error(
      `error: cannot read --file ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { exitCode: 2 },
    );
  }
}

type Json = { json?: boolean };

/** One key or `--all` keys, never both: a usage error (exit 2) otherwise. */
function oneOrAll(keyId: string | undefined, all: boolean | undefined, command: Command): void {
  if (keyId !== undefined && all) command.error('error: give a keyId or --all, not both', { exitCode: 2 });
  if (keyId === undefined && !all) command.error('error: give a keyId or --all', { exitCode: 2 });
}

/**
 * Before a `--all` run: the HSM must be registered, else the service's 404 (exit 1) as for any
 * command naming it, rather than a run over no keys that looks like success.
 */
async function registeredHsm(api: ApiClient, hsm: string): Promise<void> {
  await api.get<HsmJson>(`/v1/hsms/${seg(hsm)}`);
}

/** `GET /v1/keys/{keyId}/events`: the ledger's events as they are; the fields naming an HSM. */
interface EventJson {
  stream: string;
  type: string;
  revision: number;
  position: number;
  metadata: { operatorId?: string };
  data: {
    at?: string;
    hsmId?: string;
    hsmName?: string;
    fromHsm?: string;
    toHsm?: string;
    blobSha256?: string;
  };
}

/** The HSMs an event names: `name (id)`, and `from → to` for the steps of a transfer. */
function eventHsms(data: EventJson['data'], hsm: (hsmId: string, fallbackName?: string) => string): string {
  if (data.fromHsm !== undefined || data.toHsm !== undefined) {
    const from = data.fromHsm === undefined ? '' : `${hsm(data.fromHsm)} `;
    const to = data.toHsm === undefined ? '' : `→ ${hsm(data.toHsm, data.hsmName)}`;
    return `${from}${to}`.trim();
  }
  return data.hsmId === undefined ? '-' : hsm(data.hsmId, data.hsmName);
}

/** `keyledger keys …`: key custody through the running service. */
export function registerKeysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description('keys in the custody ledger, through the keyledger service (KEYLEDGER_URL)');

  keys
    .command('list')
    .description('list keys with their holders and current blob')
    .option('--json', 'print JSON')
    .action(async (options: Json) => {
      const list = await client().get<KeyJson[]>('/v1/keys');
      output(options.json, list, () =>
        list.length === 0
          ? 'no keys'
          : table([
              ['KEY', 'TYPE', 'STATE', 'LABEL', 'CURRENT BLOB', 'HOLDERS'],
              ...list.map((k) => [
                k.keyId,
                k.type,
                k.state,
                k.label === null ? '-' : printable(k.label),
                abbr(k.currentBlob),
                holderText(k),
              ]),
            ]),
      );
    });

  keys
    .command('show')
    .description('custody state of one key')
    .argument('<keyId>')
    .option('--json', 'print JSON')
    .action(async (keyId: string, options: Json) => {
      const key = await client().get<KeyJson>(`/v1/keys/${seg(keyId)}`);
      output(options.json, key, () => keyText(key));
    });

  keys
    .command('events')
    .description(
      "the key's ledger events with those of approval requests naming it, oldest first (HSMs as name (id); BY: the operator)",
    )
    .argument('<keyId>')
    .option('--json', 'print JSON')
    .action(async (keyId: string, options: Json) => {
      const api = client();
      const [events, hsm] = await Promise.all([
        api.get<EventJson[]>(`/v1/keys/${seg(keyId)}/events`),
        options.json ? undefined : hsmNamer(api),
      ]);
      output(options.json, events, () =>
        table([
          ['REV', 'POSITION', 'AT', 'EVENT', 'HSM', 'BLOB', 'BY'],
          ...events.map((e) => [
            String(e.revision),
            String(e.position),
            e.data.at ?? '-',
            e.type,
            eventHsms(e.data, hsm!),
            abbr(e.data.blobSha256),
            e.metadata?.operatorId ?? '-',
          ]),
        ]),
      );
    });

  keys
    .command('generate')
    .description('generate a key on an HSM')
    .requiredOption('--hsm <hsm>', 'HSM id or name')
    .addOption(
      new Option('--type <type>', 'key type').choices(['rsa', 'ec', 'hashsig']).makeOptionMandatory(),
    )
    .option('--bits <n>', 'rsa: modulus bits', (v) => Number(v))
    .addOption(new Option('--curve <curve>', 'ec: curve').choices(['P-256', 'P-384', 'P-521']))
    .option('--levels <n>', 'hashsig: HSS levels', (v) => Number(v))
    .addOption(new Option('--lms <type>', 'hashsig: LMS type').choices(['H5', 'H10', 'H15', 'H20', 'H25']))
    .addOption(new Option('--lmots <type>', 'hashsig: LM-OTS type').choices(['W2', 'W4', 'W8']))
    .option('--label <label>', 'label (CKA_LABEL)')
    .option('--json', 'print JSON')
    .action(
      async (
        options: {
          hsm: string;
          type: string;
          bits?: number;
          curve?: string;
          levels?: number;
          lms?: string;
          lmots?: string;
          label?: string;
        } & Json,
      ) => {
        const { json, ...body } = options;
        const key = await client().post<KeyJson>('/v1/keys', body);
        output(json, key, () => `generated ${key.type} key ${key.keyId} on ${options.hsm}\n${keyText(key)}`);
      },
    );

  keys
    .command('raw-export')
    .description(
      "raw-export a key (or --all keys on an HSM) into the ledger, wrapped under the KEK domain's KEK; a hashsig key leaves the HSM",
    )
    .argument('[keyId]')
    .requiredOption('--hsm <hsm>', 'HSM id or name')
    .option(
      '--all',
      'every key the HSM holds that has no current blob (RSA/EC) or is hashsig; resumable: a second run skips what the first did',
    )
    .option(
      '--evict',
      'RSA/EC: also delete the key from the HSM once its blob is stored (frees its slot); a hashsig key leaves the HSM anyway',
    )
    .option('--json', 'print JSON')
    .action(
      async (
        keyId: string | undefined,
        options: { hsm: string; all?: boolean; evict?: boolean } & Json,
        command: Command,
      ) => {
        oneOrAll(keyId, options.all, command);
        const api = client();
        // The service deletes a hashsig key's disabled copy itself; an RSA/EC key is evicted with
        // its own DELETE, only while the HSM still holds it. What left the HSM is read from the key afterwards.
        const exportOne = async (id: string): Promise<string> => {
          const { blobSha256 } = await api.post<{ blobSha256: string }>(`/v1/keys/${seg(id)}/raw-export`, {
            hsm: options.hsm,
          });
          if (options.evict && heldBy(await api.get<KeyJson>(`/v1/keys/${seg(id)}`), options.hsm))
            await api.delete(`/v1/keys/${seg(id)}/residency/${seg(options.hsm)}`);
          return blobSha256;
        };
        const outcome = (k: KeyJson) => ({ type: k.type, leftHsm: !heldBy(k, options.hsm) });
        if (keyId !== undefined) {
          const blobSha256 = await exportOne(keyId);
          const after = outcome(await api.get<KeyJson>(`/v1/keys/${seg(keyId)}`));
          return output(
            options.json,
            { keyId, hsm: options.hsm, blobSha256, ...after },
            () =>
              `raw-exported ${keyId} from ${options.hsm}: blob ${blobSha256}${exportNote(after, options.hsm)}`,
          );
        }
        await registeredHsm(api, options.hsm);
        const held = (await api.get<KeyJson[]>('/v1/keys')).filter(
          (k) => k.state !== 'destroyed' && heldBy(k, options.hsm),
        );
        // Resumable: an RSA/EC key with a current blob was exported already (by an earlier run, one
        // cut short, or by hand) and its blob is still good; with --evict it is only deleted.
        const exported = (k: KeyJson) => k.type !== 'hashsig' && k.currentBlob !== null;
        const targets = held.filter((k) => !exported(k) || options.evict);
        const skipped = held.length - targets.length;
        const run = await bulk('raw-export', targets, async (k) => {
          if (!exported(k)) return exportOne(k.keyId);
          await api.delete(`/v1/keys/${seg(k.keyId)}/residency/${seg(options.hsm)}`);
          return k.currentBlob!;
        });
        const now = new Map((await api.get<KeyJson[]>('/v1/keys')).map((k) => [k.keyId, k]));
        const ok = run.ok.map((o) => {
          const k = now.get(o.keyId);
          // A key destroyed meanwhile is on no HSM either.
          return { ...o, ...(k === undefined ? { type: 'unknown', leftHsm: true } : outcome(k)) };
        });
        const hashsigLeftHsm = ok.filter((o) => o.type === 'hashsig' && o.leftHsm).length;
        const evicted = ok.filter((o) => o.type !== 'hashsig' && o.leftHsm).length;
        const alreadyExported = new Set(targets.filter(exported).map((k) => k.keyId));
        const newlyExported = ok.filter((o) => !alreadyExported.has(o.keyId)).length;
        const result = {
          ok,
          failed: run.failed,
          exported: newlyExported,
          skipped,
          hashsigLeftHsm,
          evicted,
        };
        output(options.json, result, () =>
          summary('raw-exported', options.hsm, result, [
            `${newlyExported} exported, of which ${hashsigLeftHsm} hashsig ${hashsigLeftHsm === 1 ? 'key' : 'keys'} left the HSM; ${evicted} evicted`,
            ...(skipped + alreadyExported.size > 0
              ? [`${skipped + alreadyExported.size} had a current blob already (not exported again)`]
              : []),
            ...(hashsigLeftHsm > 0 ? [HASHSIG_EXPORT_NOTE] : []),
          ]),
        );
        if (result.failed.length > 0) process.exitCode = 1;
      },
    );

  keys
    .command('raw-import')
    .description("raw-import a key's current blob (or --all keys held only by their blob) onto an HSM")
    .argument('[keyId]')
    .requiredOption('--hsm <hsm>', 'HSM id or name')
    .option('--blob <sha256>', 'import this blob instead of the current one')
    .option('--all', 'every key with a current blob and no HSM holding it')
    .option('--json', 'print JSON')
    .action(
      async (
        keyId: string | undefined,
        options: { hsm: string; blob?: string; all?: boolean } & Json,
        command: Command,
      ) => {
        oneOrAll(keyId, options.all, command);
        if (options.all && options.blob !== undefined)
          command.error("error: --blob names one key's blob; not with --all", { exitCode: 2 });
        const api = client();
        const importOne = async (id: string, blobSha256?: string): Promise<string> =>
          (
            await api.post<{ blobSha256: string; hsmKeyName: string }>(`/v1/keys/${seg(id)}/raw-import`, {
              hsm: options.hsm,
              ...(blobSha256 ? { blobSha256 } : {}),
            })
          ).blobSha256;
        if (keyId !== undefined) {
          const blobSha256 = await importOne(keyId, options.blob);
          return output(
            options.json,
            { keyId, blobSha256, hsm: options.hsm },
            () => `raw-imported ${keyId} onto ${options.hsm} from blob ${blobSha256}`,
          );
        }
        await registeredHsm(api, options.hsm);
        const targets = (await api.get<KeyJson[]>('/v1/keys')).filter(
          (k) => k.state === 'active' && k.currentBlob !== null && !k.holders.some((h) => h.kind === 'hsm'),
        );
        const result = await bulk('raw-import', targets, (k) => importOne(k.keyId));
        output(options.json, result, () => summary('raw-imported', options.hsm, result));
        if (result.failed.length > 0) process.exitCode = 1;
      },
    );

  keys
    .command('transfer')
    .description('transfer a key HSM to HSM (a KEKEK is generated on the destination)')
    .argument('<keyId>')
    .requiredOption('--from <hsm>', 'source HSM')
    .requiredOption('--to <hsm>', 'destination HSM')
    .option('--json', 'print JSON')
    .action(async (keyId: string, options: { from: string; to: string } & Json) => {
      const key = await client().post<KeyJson>(`/v1/keys/${seg(keyId)}/transfer`, {
        from: options.from,
        to: options.to,
      });
      output(
        options.json,
        key,
        () => `transferred ${keyId} from ${options.from} to ${options.to}\n${keyText(key)}`,
      );
    });

  keys
    .command('sign')
    .description('sign data; prints the signature as base64')
    .argument('<keyId>')
    .option('--data <base64>', 'data, base64')
    .option('--file <path>', 'data from a file')
    .option('--text <text>', 'data as UTF-8 text')
    .option('--hsm <hsm>', 'HSM to sign on')
    .option('--json', 'print JSON')
    .action(
      async (
        keyId: string,
        options: { data?: string; file?: string; text?: string; hsm?: string } & Json,
        command: Command,
      ) => {
        const data = readData(options, command);
        const result = await client().post<{ signature: string; hsm: string; q?: number }>(
          `/v1/keys/${seg(keyId)}/sign`,
          {
            data,
            ...(options.hsm ? { hsm: options.hsm } : {}),
          },
        );
        output(options.json, result, () => result.signature);
      },
    );

  registerSignBatchCommand(keys);

  keys
    .command('delete-residency')
    .description('delete the key from one HSM; refused unless its blob or another HSM holds it')
    .argument('<keyId>')
    .requiredOption('--hsm <hsm>', 'HSM id or name')
    .option('--json', 'print JSON')
    .action(async (keyId: string, options: { hsm: string } & Json) => {
      const key = await client().delete<KeyJson>(`/v1/keys/${seg(keyId)}/residency/${seg(options.hsm)}`);
      output(options.json, key, () => `deleted ${keyId} from ${options.hsm}; held now by ${holderText(key)}`);
    });

  keys
    .command('pin')
    .description(
      'pin a key: it is kept resident (paged in now if no HSM holds it) and never paged out; --off unpins it',
    )
    .argument('<keyId>')
    .option('--off', 'unpin: the pager may page it out again')
    .option('--json', 'print JSON')
    .action(async (keyId: string, options: { off?: boolean } & Json) => {
      const key = await client().patch<KeyJson & { pinned: boolean }>(`/v1/keys/${seg(keyId)}`, {
        pinned: !options.off,
      });
      output(
        options.json,
        key,
        () => `${key.pinned ? 'pinned' : 'unpinned'} ${keyId}; held by ${holderText(key)}`,
      );
    });

  keys
    .command('destroy')
    .description('destroy a key: its blobs are no longer served; this cannot be undone')
    .argument('<keyId>')
    .option('--yes', 'confirm')
    .option('--json', 'print JSON')
    .action(async (keyId: string, options: { yes?: boolean } & Json, command: Command) => {
      if (!options.yes)
        command.error(`error: destroying ${keyId} cannot be undone; repeat with --yes`, { exitCode: 2 });
      // Under the default policy this is an approval request: exit 3 with its id (main.ts).
      const key = await client().delete<KeyJson>(`/v1/keys/${seg(keyId)}`);
      output(options.json, key, () => `destroyed ${keyId}`);
    });
}
