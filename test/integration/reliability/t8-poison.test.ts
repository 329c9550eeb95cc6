/**
 * RELIABILITY.md T8: some requests hit an injected fault (an unknown error thrown for their message-id)
 * among valid ones. Each poison message is requeued until the delivery limit and then dead-lettered by
 * the broker (≤ limit + 1 deliveries, reason delivery_limit); every other request is answered.
 * PR size 5 among 100 (limit 3); chaos 20 among 1,000.
 */
import type { InboundDelivery } from '../../../src/pipeline/types.js';
import { deadLetterQueueOf } from '../../../src/transport/amqp/topology.js';
import { CHAOS, PROTOCOLS, queueDepth, startTimebok } from '../amqp/world.js';
import type { AmqpProtocol } from '../../../src/config/config.js';
import { figures, makeRequests, report, sendAll, sleep, type Started, useReliabilityWorld, waitAnswered } from './harness.js';

const N = CHAOS ? 1000 : 100;
const POISON = CHAOS ? 20 : 5;
const LIMIT = 3;
const poison = new Set<string>();
const deliveries = new Map<string, number>();

describe.each(PROTOCOLS)('T8 over AMQP %s', (protocol: AmqpProtocol) => {
  const run = useReliabilityWorld('t8', N, async (w) => {
    const timebok: Started = await startTimebok(w.world, w.db.url, w.schemas, {
      connectionName: 'timebok t8',
      pipeline: {
        process: (d: InboundDelivery) => {
          if (poison.has(d.messageId)) {
            deliveries.set(d.messageId, (deliveries.get(d.messageId) ?? 0) + 1);
            return Promise.reject(new RangeError('injected fault'));
          }
          return timebok.app.pipeline.process(d);
        },
      },
    });
    return [timebok];
  }, undefined, { protocol, deliveryLimit: LIMIT });

  test(`T8: ${POISON} poison requests among ${N} → each dead-lettered after ≤ limit + 1 deliveries, the rest answered`, async () => {
    const { hn, world, db } = run;
    const requests = makeRequests(hn, world, N);
    const step = Math.floor(N / POISON);
    const poisoned = requests.filter((_, i) => i % step === 0).slice(0, POISON);
    for (const r of poisoned) poison.add(r.messageId);
    await sendAll(hn, world.queues.ourAsync, requests);
    const healthy = requests.filter((r) => !poison.has(r.messageId));
    await waitAnswered(hn, healthy, healthy.length, 240_000);
    const dead = deadLetterQueueOf(world.queues.ourAsync);
    const end = Date.now() + 60_000;
    while ((await queueDepth(dead)) < POISON && Date.now() < end) await sleep(200);
    await sleep(500);
    const f = await figures(hn, world, db.url, requests);
    const maxDeliveries = Math.max(...poisoned.map((r) => deliveries.get(r.messageId) ?? 0));
    report('T8', protocol, {
      sent: f.sent, answered: f.answered, lost: f.lost, double: f.double, wire_dup: f.wire_dup, dead_lettered: f.dead_lettered,
      poison: POISON, delivery_limit: LIMIT, max_deliveries: maxDeliveries,
    });
    expect(f).toMatchObject({ answered: N - POISON, lost: 0, double: 0, dead_lettered: POISON });
    for (const r of poisoned) {
      expect(deliveries.get(r.messageId)).toBeGreaterThanOrEqual(1);
      expect(deliveries.get(r.messageId)).toBeLessThanOrEqual(LIMIT + 1);
    }
    expect(f.invariants).toMatchObject({ slotsAboveCapacity: 0, inboxRows: N - POISON, unsentOutbox: 0, bookings: N - POISON });
  }, 600_000);
});
