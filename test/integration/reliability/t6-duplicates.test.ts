/**
 * RELIABILITY.md T6: every request is delivered three times (two copies back to back, so that they are
 * processed concurrently by the prefetch window, and a third later). One booking and one distinct reply
 * per request; the two extra copies are inbox hits answered from the store. PR size 100; chaos 500.
 */
import { CHAOS, PROTOCOLS, startTimebok } from '../amqp/world.js';
import type { AmqpProtocol } from '../../../src/config/config.js';
import { checkInvariants, figures, makeRequests, report, sleep, tally, useReliabilityWorld, waitAnswered } from './harness.js';

const N = CHAOS ? 500 : 100;

describe.each(PROTOCOLS)('T6 over AMQP %s', (protocol: AmqpProtocol) => {
  const run = useReliabilityWorld('t6', N, async (w) => [await startTimebok(w.world, w.db.url, w.schemas, { connectionName: 'timebok t6' })], undefined, { protocol });

  test(`T6: ${N} requests each delivered 3 times → ${N} bookings, ${N} distinct replies, ${2 * N} inbox hits`, async () => {
    const { hn, world, db } = run;
    const requests = makeRequests(hn, world, N);
    for (const r of requests) {
      await hn.send(world.queues.ourAsync, r.body, { messageId: r.messageId });
      await hn.send(world.queues.ourAsync, r.body, { messageId: r.messageId });
    }
    await waitAnswered(hn, requests, N, 240_000);
    for (const r of requests) await hn.send(world.queues.ourAsync, r.body, { messageId: r.messageId });
    // Every copy is processed (2 inbox hits per request) and everything stored went out again. A copy that
    // arrives before the first answers left finds them still unsent: they go out once, not twice.
    const end = Date.now() + 240_000;
    for (;;) {
      const inv = await checkInvariants(db.url, requests);
      if ((inv.inboxHits >= 2 * N && inv.unsentOutbox === 0) || Date.now() > end) break;
      await sleep(250);
    }
    await sleep(500);
    const f = await figures(hn, world, db.url, requests);
    const t = tally(hn);
    const distinctReplies = [...t.replies.values()].reduce((a, s) => a + s.size, 0);
    report('T6', protocol, {
      sent: f.sent, deliveries: 3 * N, answered: f.answered, lost: f.lost, double: f.double, wire_dup: f.wire_dup, dead_lettered: f.dead_lettered,
      bookings: f.invariants.bookings, distinct_replies: distinctReplies, inbox_hits: f.invariants.inboxHits,
    });
    expect(f).toMatchObject({ answered: N, lost: 0, double: 0, dead_lettered: 0 });
    expect(f.invariants).toMatchObject({ slotsAboveCapacity: 0, inboxRows: N, distinctInboxMsgIds: N, unsentOutbox: 0, bookings: N, inboxHits: 2 * N });
    expect(distinctReplies).toBe(N);
    // Each request's answers reached Helsenorge at least once and at most once per delivery.
    expect(t.total).toBeGreaterThanOrEqual(2 * N);
    expect(t.total).toBeLessThanOrEqual(6 * N);
  }, 600_000);
});
