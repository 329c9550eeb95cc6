/// <reference lib="dom" />
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { OutboxRelay } from '../../../src/outbox/outbox.relay.js';
import { PlainEncoder } from '../../../src/protection/outbound.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { SpoolPublisher } from '../../../src/transport/spool/spool.publisher.js';
import { PATIENT, RT_FILE, read } from '../../component/staff/world.js';
import { STAFF, adminWorld, type AdminWorld } from '../../component/admin/world.js';

/**
 * The staff page end to end in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * log in, confirm a held request and see the 05 leave through the outbox; keyboard only; 360 px wide.
 * Needs no database server: the page runs on the SQLite staff world.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let schemas: SchemaSet;
let browser: Browser;
let world: AdminWorld;
let spool: string;
let relay: OutboxRelay;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  schemas = await loadSchemaSet();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // playwright gives every launch a fresh, empty user data dir of its own.
  });
});
afterAll(async () => {
  await browser?.close();
  schemas?.dispose();
});
beforeEach(async () => {
  world = await adminWorld(schemas);
  spool = mkdtempSync(join(tmpdir(), 'timebok-page-spool-'));
  relay = new OutboxRelay(world.app.db, new SpoolPublisher(spool, new PlainEncoder()), world.clock, silentLogger);
  expect((await world.deliver(read(RT_FILE))).status).toBe('pending');
  await relay.drain(); // the AppRec 1 leaves now; the 05 waits for staff
});
afterEach(async () => {
  await world?.close();
});

async function open(width = 1024): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 800 } });
  await page.goto(world.base);
  return page;
}

async function login(page: Page): Promise<void> {
  await page.getByLabel('Tilgangsnøkkel').fill(STAFF);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await page.getByText('Innlogget som kari').waitFor();
}

function repliesInSpool(): string[] {
  const dir = join(spool, '8093248_async');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).filter((x) => /TemaKodet/.test(x) || /<(\w+:)?Dialogmelding/.test(x));
}

test('log in, confirm a held request, and the 05 leaves through the outbox', async () => {
  const page = await open();
  try {
    await login(page);
    await page.getByRole('tab', { name: 'Forespørsler' }).click();
    const card = page.getByRole('listitem').filter({ hasText: PATIENT });
    await card.getByText('Fastlege August September').waitFor();
    expect(repliesInSpool()).toEqual([]);
    await card.getByRole('button', { name: 'Bekreft' }).click();
    await page.getByRole('status').filter({ hasText: 'reply 05 lagt i utboksen' }).waitFor();
    await page.getByText('Ingen forespørsler venter.').waitFor();
    // The running service's relay sends it.
    expect(await relay.drain()).toBeGreaterThanOrEqual(1);
    const sent = repliesInSpool();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/<(\w+:)?TemaKodet[^>]*V="05"/);
    const log = await world.call('GET', '/api/access-log', { token: 'operator-token-for-tests' });
    expect(log.json.entries).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'kari', channel: 'page', action: 'GET /api/requests', patientId: PATIENT })]));
  } finally {
    await page.close();
  }
});

test('keyboard only: log in, move between views with the arrow keys, confirm with Enter; every field has a label', async () => {
  const page = await open();
  try {
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
    await page.keyboard.type(STAFF);
    await page.keyboard.press('Enter');
    await page.getByText('Innlogget som kari').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-week');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-requests');
    await page.getByRole('button', { name: 'Bekreft' }).waitFor();
    // Tab through: the other views' tabs are out of the tab order (roving tabindex), then the panel.
    const reached: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      const label = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.textContent?.trim() || document.activeElement?.id || '');
      reached.push(label);
      if (label === 'Bekreft') break;
    }
    expect(reached).toEqual(['Logg ut', 'Oppdater', expect.stringMatching(/^text-/), 'Bekreft']);
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'reply 05' }).waitFor();
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, select, textarea'))
        .filter((el) => !(el as HTMLElement).closest('[hidden]'))
        .filter((el) => !(el.id && document.querySelector(`label[for="${el.id}"]`)) && !el.getAttribute('aria-label'))
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    await relay.drain();
    expect(repliesInSpool()).toHaveLength(1);
  } finally {
    await page.close();
  }
});

test('at 360 px wide the page does not scroll sideways; the week view and the requests fit', async () => {
  const page = await open(360);
  try {
    await login(page);
    await page.getByLabel('Timebok').selectOption({ label: 'Fastlege August September' });
    await page.getByLabel('Fra dato').fill('2019-07-01');
    await page.getByRole('button', { name: 'Vis', exact: true }).click();
    await page.getByRole('region', { name: 'man 2019-07-01' }).waitFor();
    // The held request's slot (Friday 11:45) shows as requested; the rest is free (14 a weekday, Monday's
    // four before 09:00 have passed: the clock stands at Monday 1 July 09:00).
    expect(await page.locator('.day .slot.requested').allTextContents()).toEqual(['11:45 forespurt']);
    expect(await page.locator('.day .slot.free').count()).toBe(5 * 14 - 4);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(tmpdir(), 'timebok-page-360-week.png'), fullPage: false });
    await page.getByRole('tab', { name: 'Forespørsler' }).click();
    await page.getByRole('button', { name: 'Bekreft' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    const box = await page.getByRole('button', { name: 'Bekreft' }).boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(tmpdir(), 'timebok-page-360-requests.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

test('from the week view to the appointment, its history and the message trail', async () => {
  const page = await open();
  try {
    await login(page);
    await page.getByLabel('Timebok').selectOption({ label: 'Fastlege August September' });
    await page.getByLabel('Fra dato').fill('2019-07-01');
    await page.getByRole('button', { name: 'Vis', exact: true }).click();
    await page.getByRole('button', { name: 'Avtale 11:45' }).click();
    await page.getByText('requested through Helsenorge (DIALOG_INNBYGGER_TIMERESERVASJON RT)').waitFor();
    expect(await page.locator('#appointment dd').allTextContents()).toEqual(expect.arrayContaining(['requested', PATIENT, 'Helsenorge']));
    await page.getByRole('button', { name: /^Meldingsspor for requested through Helsenorge/ }).click();
    await page.locator('#trail li').first().waitFor();
    const steps = await page.locator('#trail li strong').allTextContents();
    expect(steps).toEqual(['received', 'validated', 'registry', 'decision', 'booking', 'stored-for-staff', 'outgoing', 'sent']);
    const log = await world.call('GET', '/api/access-log', { token: 'operator-token-for-tests' });
    expect(log.json.entries).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'page', action: 'GET /api/appointments/:id', patientId: PATIENT })]));
  } finally {
    await page.close();
  }
});
