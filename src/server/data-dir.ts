/**
 * The data directory (`KEYLEDGER_DATA_DIR`) holds the whole custody history, the read models, the
 * API token, the HSMs' PINs and the demo HSMs' keystores, so only the service's user may enter it
 * (issue 10 item 5, README "The ledger"). At start-up it is created 0700, or tightened to 0700 with
 * what keyledger keeps in it when this user owns it. A place other users could write and that is
 * not ours to fix is refused with one line saying what to do:
 *
 * - the data directory (or the directory a symlink there points to), when group or others may
 *   write it and another user owns it: keyledger does not change another user's directory;
 * - a directory above it that someone else may write (they could move the data directory aside and
 *   put their own in its place): writable by others, or by its group and not ours. A sticky
 *   directory such as /tmp is fine: there only an entry's owner may move it. Parents are never
 *   changed, since they are not keyledger's; one of ours writable by its group is accepted, as a
 *   checkout made under umask 002 is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SECRETS_FILE } from '../app/secrets/secret-store';
import { LEDGER_FILE_NAME } from '../event-store/sqlite-event-store';
import { octalMode, ownedByUs, PRIVATE_DIR_MODE, sqliteFiles, tightenIfOurs } from '../lib/private-files';
import { READ_MODEL_FILE_NAME } from '../projections/read-model-store';

/** The embedded ledger's data directory belongs to one service process at a time. */
import { DATA_DIR_LOCK } from './data-dir-lock';

export { DATA_DIR_LOCK };
/** The demo soft HSMs' state, under the data directory (src/server/demo-hsms.ts). */
export const DEMO_HSM_DIR = 'soft-hsm';

/**
 * What keyledger keeps in the data directory and tightens when it finds it wider. Not among them:
 * the api-token file, since one found readable by others is refused (src/api/api-token.ts): whoever
 * read it holds the first officer's token until it is rotated; and the lock, which is always created
 * anew, 0600 (src/lib/pid-lock.ts), as a running holder's already is.
 */
const KEPT_FILES = [...sqliteFiles(LEDGER_FILE_NAME), ...sqliteFiles(READ_MODEL_FILE_NAME), SECRETS_FILE];

/** The data directory is not safe to use and keyledger will not fix it; the message says what to do. */
export class UnsafeDataDir extends Error {
  readonly type = 'unsafe-data-dir';
}

const S_ISVTX = 0o1000;

function modeAndOwner(stat: fs.Stats): string {
  return `mode ${octalMode(stat.mode)}, owner uid ${stat.uid}`;
}

/** `dir` and every directory above it, up to the root. */
function withAncestors(dir: string): string[] {
  const all = [dir];
  for (let d = dir; path.dirname(d) !== d; d = path.dirname(d)) all.push(path.dirname(d));
  return all;
}

/** Refuses a directory above the data directory that someone else may write (see the header). */
function checkParent(dataDir: string, parent: string, stat: fs.Stats): void {
  if ((stat.mode & S_ISVTX) !== 0) return;
  const byOthers = (stat.mode & 0o002) !== 0;
  const byGroup = (stat.mode & 0o020) !== 0 && !ownedByUs(stat);
  if (!byOthers && !byGroup) return;
  throw new UnsafeDataDir(
    `data directory ${dataDir} is inside ${parent} (${modeAndOwner(stat)}), which other users can write, so they ` +
      `could replace the data directory: have its owner run "chmod go-w ${parent}" (or "chmod +t" if it is ` +
      'shared, like /tmp), or set KEYLEDGER_DATA_DIR to a directory elsewhere',
  );
}

/** Every directory holding an entry on the way to `dataDir` and to where it really is, once each. */
function parentsOf(dataDir: string, real: string): Map<string, fs.Stats> {
  const parents = new Map<string, fs.Stats>();
  const seen = new Set<string>();
  // stat follows symlinks: for a lexical ancestor it describes the directory that holds the next name.
  for (const dir of [...withAncestors(path.dirname(dataDir)), ...withAncestors(path.dirname(real))]) {
    const stat = fs.statSync(dir, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    const id = `${stat.dev}:${stat.ino}`;
    if (seen.has(id)) continue;
    seen.add(id);
    parents.set(dir, stat);
  }
  return parents;
}

/** `dir` and everything under it, symlinks not followed. */
function walk(dir: string): string[] {
  const entries = fs.readdirSync(dir, { withFileTypes: true, recursive: true });
  return [dir, ...entries.map((e) => path.join(e.parentPath, e.name))];
}

/**
 * Makes `dataDir` private before the service opens anything in it: creates it 0700, refuses it
 * (`UnsafeDataDir`) if it is unsafe and not ours to fix, else tightens it and the files keyledger
 * keeps there (see the header). `log` gets one line per mode changed.
 */
export function prepareDataDir(dataDir: string, log: (line: string) => void): void {
  const dir = path.resolve(dataDir);
  // Directories above that exist now are checked before anything is created under them.
  for (const [parent, stat] of parentsOf(dir, dir)) checkParent(dir, parent, stat);
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const real = fs.realpathSync(dir);
  for (const [parent, stat] of parentsOf(dir, real)) checkParent(dir, parent, stat);

  const linked = real === dir ? '' : `a symlink to ${real}, `;
  const stat = fs.statSync(real);
  if (!stat.isDirectory())
    throw new UnsafeDataDir(`data directory ${dir} (${linked}${modeAndOwner(stat)}) is not a directory`);
  if (!ownedByUs(stat) && (stat.mode & 0o022) !== 0) {
    throw new UnsafeDataDir(
      `data directory ${dir} (${linked}${modeAndOwner(stat)}) is writable by other users and belongs to another ` +
        `user, so keyledger will not tighten it: run "chown ${process.geteuid?.()} ${real} && chmod 700 ${real}", ` +
        "or set KEYLEDGER_DATA_DIR to a directory of this user's",
    );
  }
  const tighten = (shown: string, target: string) => {
    const from = tightenIfOurs(target);
    if (from !== undefined)
      log(`keyledger: tightened ${shown} from mode ${octalMode(from)} to ${octalMode(from & 0o700)}`);
  };
  tighten(`data directory ${dir}`, real);
  for (const name of KEPT_FILES) tighten(path.join(dir, name), path.join(real, name));
  const demo = path.join(real, DEMO_HSM_DIR);
  if (fs.existsSync(demo)) for (const entry of walk(demo)) tighten(entry, entry);
}
