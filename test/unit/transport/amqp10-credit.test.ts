/**
 * Link credit on AMQP 1.0: the consumer gives settled messages' credit back a quarter of AMQP_PREFETCH at
 * a time (one flow frame every few messages, not one per message), never lets a link run dry, and gives
 * none back while a dependency is away (the hold).
 */
import { EventEmitter } from 'node:events';
import type { Connection } from 'rhea';
import { Amqp10Consumer } from '../../../src/transport/amqp10/consumer.js';
import type { InboundDelivery, ProcessOutcome } from '../../../src/pipeline/types.js';
import { TimebokError } from '../../../src/shared/errors.js';
import { silentLogger } from '../../../src/shared/logger.js';

class FakeReceiver extends EventEmitter {
  readonly credits: number[] = [];
  constructor(readonly session: EventEmitter) {
    super();
    setImmediate(() => this.emit('receiver_open', {}));
  }
  add_credit(n: number): void {
    this.credits.push(n);
  }
  drain_credit(): void {}
  close(): void {}
  /** Credit the link holds now: what was given minus the messages delivered. */
  outstanding(delivered: number): number {
    return this.credits.reduce((a, b) => a + b, 0) - delivered;
  }
}

function fakeConnection(): { conn: Connection; receivers: FakeReceiver[] } {
  const receivers: FakeReceiver[] = [];
  const session = Object.assign(new EventEmitter(), {
    begin() {},
    open_receiver() {
      const r = new FakeReceiver(session);
      receivers.push(r);
      return r;
    },
  });
  return { conn: { create_session: () => session } as unknown as Connection, receivers };
}

function deliver(receiver: FakeReceiver, i: number): { accepted: () => boolean } {
  let accepted = false;
  const message = {
    message_id: `m-${i}`,
    body: { typecode: 0x75, content: Buffer.from('<x/>') },
    content_type: 'application/pkcs7-mime',
    subject: 'P',
    application_properties: { fromHerId: '1', toHerId: '2', applicationTimeStamp: '2026-01-01T00:00:00Z' },
  };
  receiver.emit('message', { message, delivery: { accept: () => (accepted = true), release: () => undefined } });
  return { accepted: () => accepted };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function consumer(process: (d: InboundDelivery) => Promise<ProcessOutcome>, prefetch: number): Amqp10Consumer {
  return new Amqp10Consumer({ process, reportFault: async () => ({ status: 'dropped', summary: '', outboxIds: [] }) } as never, {
    queues: [{ name: '1_async', role: 'async' } as never],
    prefetch,
    deliveryLimit: 10,
    recordErrorReport: async () => true,
    holdMinMs: 5,
    holdMaxMs: 5,
    onLinkLost: () => undefined,
  }, silentLogger);
}

const answered: ProcessOutcome = { status: 'answered', summary: 'ok', outboxIds: [] };

describe('AMQP 1.0 link credit', () => {
  it('opens with AMQP_PREFETCH and gives credit back a quarter of it at a time', async () => {
    const { conn, receivers } = fakeConnection();
    const c = consumer(async () => answered, 20);
    await c.attach(conn);
    const r = receivers[0]!;
    expect(r.credits).toEqual([20]);
    for (let i = 0; i < 4; i++) deliver(r, i);
    await flush();
    // four settled: under a quarter (5), nothing goes back yet; the link still holds 16
    expect(r.credits).toEqual([20]);
    expect(r.outstanding(4)).toBe(16);
    deliver(r, 4);
    await flush();
    expect(r.credits).toEqual([20, 5]);
    for (let i = 5; i < 20; i++) deliver(r, i);
    await flush();
    expect(r.credits).toEqual([20, 5, 5, 5, 5]);
    expect(r.outstanding(20)).toBe(20);
  });

  it('with AMQP_PREFETCH below four gives every message its credit back at once', async () => {
    const { conn, receivers } = fakeConnection();
    const c = consumer(async () => answered, 2);
    await c.attach(conn);
    const r = receivers[0]!;
    deliver(r, 0);
    await flush();
    expect(r.credits).toEqual([2, 1]);
  });

  it('gives nothing back while a dependency is away, and what it owes once it is back', async () => {
    const { conn, receivers } = fakeConnection();
    let away = true;
    const c = consumer(async () => {
      if (away) throw new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', 'database away', { disposition: 'retry' });
      return answered;
    }, 4);
    await c.attach(conn);
    const r = receivers[0]!;
    const first = deliver(r, 0);
    const second = deliver(r, 1);
    await new Promise((res) => setTimeout(res, 30));
    expect(first.accepted()).toBe(false);
    expect(r.credits).toEqual([4]);
    away = false;
    await new Promise((res) => setTimeout(res, 30));
    expect(first.accepted() && second.accepted()).toBe(true);
    expect(r.outstanding(2)).toBe(4);
  });
});
