/**
 * The instance's local secret store (docs/architecture.md §5): HSM PINs, never in the ledger. A PIN comes from
 * the environment (`KEYLEDGER_HSM_PIN_<NAME>`, so an operator can keep it out of the disk) or from
 * `secrets.json` in the data directory: mode 0600, written crash-safely (temp file, fsync, rename,
 * fsync of the directory) so a crash leaves the old file or the new one, never half of either.
 *
 * Nothing here logs, and no error message carries a PIN.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorCategory } from '../../domain/error-category';

export const SECRETS_FILE = 'secrets.json';

interface SecretsFile {
  readonly version: 1;
  /** hsmId → PIN */
  readonly pins: Record<string, string>;
}

/** The secrets file cannot be read or parsed: requests that need a PIN wait for an operator. */
export class SecretStoreError extends Error {
  static readonly category: ErrorCategory = 'unavailable';
  readonly type = 'secret-store';
}

/** `hsm-a` → `KEYLEDGER_HSM_PIN_HSM_A`: upper case, every other character `_`. */
export function pinEnvName(hsmName: string): string {
  return `KEYLEDGER_HSM_PIN_${hsmName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export class SecretStore {
  private readonly file: string;

  constructor(
    private readonly dataDir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.file = path.join(dataDir, SECRETS_FILE);
  }

  /** The PIN for an HSM: the environment first, then the file; undefined when neither has one. */
  pinFor(hsmId: string, hsmName: string): string | undefined {
    const fromEnv = this.env[pinEnvName(hsmName)];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const pins = this.read().pins;
    return Object.hasOwn(pins, hsmId) ? pins[hsmId] : undefined;
  }

  /** Stores (or replaces) an HSM's PIN in the file. */
  setPin(hsmId: string, pin: string): void {
    const current = this.read();
    const pins = { ...current.pins };
    Object.defineProperty(pins, hsmId, { value: pin, enumerable: true, writable: true, configurable: true });
    this.write({ version: 1, pins });
  }

  /** Forgets a PIN (an HSM registration that was rejected); absent is fine. */
  removePin(hsmId: string): void {
    const current = this.read();
    if (!Object.hasOwn(current.pins, hsmId)) return;
    const pins = { ...current.pins };
    delete pins[hsmId];
    this.write({ version: 1, pins });
  }

  private read(): SecretsFile {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, pins: {} };
      throw new SecretStoreError(`cannot read ${this.file}: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // The parser's message may quote the file's content, i.e. a PIN: say only where.
      throw new SecretStoreError(
        `${this.file} is not valid JSON; restore it or remove it and register the HSMs again`,
      );
    }
    const pins = (parsed as { pins?: unknown } | null)?.pins;
    if (
      (parsed as { version?: unknown } | null)?.version !== 1 ||
      typeof pins !== 'object' ||
      pins === null ||
      Object.values(pins).some((p) => typeof p !== 'string')
    ) {
      throw new SecretStoreError(`${this.file} expected {"version":1,"pins":{hsmId: string}}`);
    }
    return { version: 1, pins: pins as Record<string, string> };
  }

  private write(content: SecretsFile): void {
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(temp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, JSON.stringify(content));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // A pre-existing temp file keeps its old mode under openSync: force it.
    fs.chmodSync(temp, 0o600);
    fs.renameSync(temp, this.file);
    const dir = fs.openSync(this.dataDir, 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }
}
