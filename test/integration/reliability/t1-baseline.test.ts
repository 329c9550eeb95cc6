/**
 * RELIABILITY.md T1 (baseline), run by two Timebok instances on one broker and one database: the work
 * is shared (both consume and both relay the outbox) with no double effects. PR size 200 requests;
 * TIMEBOK_CHAOS=1: 1,000.
 */
import { CHAOS, PROTOCOLS, startTimebok } from '../amqp/world.js';
import type { AmqpProtocol } from '../../../src/config/config.js';
import { figures, makeRequests, report, sendAll, useReliabilityWorld, waitAnswered } from './harness.js';

const N = CHAOS ? 1000 : 200;

describe.each(PROTOCOLS)('T1 over AMQP %s', (protocol: AmqpProtocol) => {
  const run = useReliabilityWorld('t1', N, async (w) => [
    await startTimebok(w.world, w.db.url, w.schemas, { connectionName: 'timebok t1 a' }),
    await startTimebok(w.world, w.db.url, w.schemas, { connectionName: 'timebok t1 b' }),
  ], undefined, { protocol });

  test(`T1: ${N} valid requests through two instances → all answered once, none lost, none double`, async () => {
    const { hn, world, db, instances } = run;
    const requests = makeRequests(hn, world, N);
    await sendAll(hn, world.queues.ourAsync, requests);
    await waitAnswered(hn, requests, N, 240_000);
    // Give late wire copies a moment, then count.
    await new Promise((r) => setTimeout(r, 500));
    const f = await figures(hn, world, db.url, requests);
    const [a, b] = instances;
    report('T1', protocol, { sent: f.sent, answered: f.answered, lost: f.lost, double: f.double, wire_dup: f.wire_dup, dead_lettered: f.dead_lettered, instance_a: a?.transport.stats.acked ?? 0, instance_b: b?.transport.stats.acked ?? 0 });
    expect(f).toMatchObject({ answered: N, lost: 0, double: 0, dead_lettered: 0 });
    expect(f.invariants).toMatchObject({ slotsAboveCapacity: 0, inboxRows: N, distinctInboxMsgIds: N, unsentOutbox: 0, bookings: N });
    // Both instances took part.
    expect(a?.transport.stats.acked ?? 0).toBeGreaterThan(0);
    expect(b?.transport.stats.acked ?? 0).toBeGreaterThan(0);
  }, 300_000);
});
