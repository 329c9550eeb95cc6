import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolTransport } from '../../../src/simulate/transport/spool.transport.js';
import type { InboundWire } from '../../../src/simulate/transport/wire.js';

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the spool as a bus', () => {
  it('writes the sidecar and then the body, leaving no temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-spool-'));
    const t = new SpoolTransport({ dir });
    await t.send({
      queue: '8142519_async', body: Buffer.from([0x30, 0x80]), messageId: 'm-1', correlationId: 'm-1', replyTo: '115851_async', subject: 'DIALOG_INNBYGGER_TIMERESERVASJON',
      contentType: 'application/pkcs7-mime; smime-type=signed-and-enveloped-data', headers: { fromHerId: '8093248', toHerId: '8142521', applicationTimeStamp: '2026-12-04T10:00:00Z' },
    });
    const names = readdirSync(join(dir, '8142519_async'));
    expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
    const body = names.find((n) => n.endsWith('.p7m'));
    expect(body).toBeDefined();
    const sidecar = JSON.parse(readFileSync(join(dir, '8142519_async', `${body}.json`), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toEqual({ fromHerId: 8093248, toHerId: 8142521, messageId: 'm-1', correlationId: 'm-1', replyTo: '115851_async', contentType: 'application/pkcs7-mime; smime-type=signed-and-enveloped-data', subject: 'DIALOG_INNBYGGER_TIMERESERVASJON' });
    await t.close();
  });

  it('reads answers with their sidecars and error reports, skips files still being written, and moves what it read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-spool-'));
    const q = join(dir, '115851_async');
    const e = join(dir, '115851_error');
    mkdirSync(q, { recursive: true });
    mkdirSync(e, { recursive: true });
    writeFileSync(join(q, 'a-reply.p7m.json'), JSON.stringify({ fromHerId: 8142521, toHerId: 8093248, correlationId: 'c', subject: 'APPREC', contentType: 'x' }));
    writeFileSync(join(q, 'a-reply.p7m'), 'BODY');
    writeFileSync(join(q, '.b-reply.p7m.tmp'), 'half');
    writeFileSync(join(q, 'c-reply.p7m.json'), JSON.stringify({ fromHerId: 8142521 })); // its body is not there yet
    writeFileSync(join(e, 'x-error-report-1.json'), JSON.stringify({ originalMessageId: 'm-1', errorCondition: 'transport:decryption-failed', errorDescription: 'd' }));
    const got: InboundWire[] = [];
    const t = new SpoolTransport({ dir, pollMs: 10 });
    await t.start(['115851_async', '115851_error'], (m) => got.push(m));
    await until(() => got.length >= 2);
    await t.close();
    const reply = got.find((m) => !m.isErrorReport);
    expect(reply).toMatchObject({ queue: '115851_async', correlationId: 'c', subject: 'APPREC', contentType: 'x', headers: { fromHerId: '8142521', toHerId: '8093248' } });
    expect(reply?.body.toString()).toBe('BODY');
    expect(got.find((m) => m.isErrorReport)?.headers).toEqual({ originalMessageId: 'm-1', errorCondition: 'transport:decryption-failed', errorDescription: 'd' });
    expect(got).toHaveLength(2);
    expect(existsSync(join(q, 'received', 'a-reply.p7m'))).toBe(true);
    expect(existsSync(join(q, '.b-reply.p7m.tmp'))).toBe(true);
    expect(existsSync(join(q, 'c-reply.p7m.json'))).toBe(true);
  });
});
