import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPOOL_LOCK_FILE, lockSpool } from '../../../src/transport/spool/spool.lock.js';

/** One Timebok process per spool folder (a second would answer every file twice, once as a duplicate). */
const folder = () => mkdtempSync(join(tmpdir(), 'timebok-spool-lock-'));
// above Linux's largest pid (2^22): no process has it
const GONE = 4_194_304 + 4321;

test('the first process takes the lock; a second is refused, naming the holder; after release it is free', async () => {
  const dir = folder();
  const held = await lockSpool(dir, process.pid);
  expect(readFileSync(join(dir, SPOOL_LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
  const refused = await lockSpool(dir, GONE + 1).then(() => 'taken', (e: unknown) => String((e as Error).message));
  expect(refused).toMatch(new RegExp(`another Timebok process \\(pid ${process.pid}\\) consumes the spool folder`));
  await held.release();
  expect(existsSync(join(dir, SPOOL_LOCK_FILE))).toBe(false);
  const again = await lockSpool(dir, GONE + 1);
  await again.release();
});

test('a lock left by a process that is gone is taken over', async () => {
  const dir = folder();
  writeFileSync(join(dir, SPOOL_LOCK_FILE), `${GONE}\n`);
  const held = await lockSpool(dir, process.pid);
  expect(readFileSync(join(dir, SPOOL_LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
  await held.release();
});

test('a release does not remove a lock another process took over meanwhile', async () => {
  const dir = folder();
  const held = await lockSpool(dir, GONE);
  writeFileSync(join(dir, SPOOL_LOCK_FILE), `${process.pid}\n`);
  await held.release();
  expect(readFileSync(join(dir, SPOOL_LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
});
