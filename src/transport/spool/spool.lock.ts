import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TimebokError } from '../../shared/errors.js';

/** The lock file in the spool folder: the process id of the Timebok that consumes it. */
export const SPOOL_LOCK_FILE = '.timebok.lock';

/**
 * One Timebok process per spool folder. Two processes reading the same queue folders would both read a
 * file: one books, the other finds the MsgId in the inbox and, as for any duplicate, sends the stored
 * answer again, so the counterparty gets it twice. The embedded default is one process (SQLite); a second
 * `npm start` on the same folder is refused at start-up, naming the process that holds it. A lock left by
 * a process that no longer runs (killed, power cut) is taken over.
 */
export async function lockSpool(spoolDir: string, pid: number = process.pid): Promise<{ release(): Promise<void> }> {
  await mkdir(spoolDir, { recursive: true });
  const path = join(spoolDir, SPOOL_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${pid}\n`, { flag: 'wx' });
      return {
        async release() {
          const holder = await readFile(path, 'utf8').catch(() => '');
          if (Number(holder.trim()) === pid) await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== pid && isRunning(holder)) {
      throw new TimebokError('ERR_CONFIG', `another Timebok process (pid ${holder}) consumes the spool folder ${spoolDir}; stop it first, or give this one its own SPOOL_DIR and DATABASE_URL`, {
        detail: { pid: holder },
      });
    }
    // left behind by a process that is gone (or by this very process): take it over
    await unlink(path).catch(() => undefined);
  }
  throw new TimebokError('ERR_CONFIG', `the spool lock ${path} could not be taken`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, under another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
