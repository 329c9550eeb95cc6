/**
 * RELIABILITY.md T4: PostgreSQL is stopped for 30 s mid-run. Timebok holds the messages in hand
 * (unacked, consumers paused, retried in-process), never nacks or dead-letters them, and resumes within
 * 10 s of the database coming back. PostgreSQL is always started again, also when the test fails.
 * PR size 200 requests; chaos 1,000.
 */
import { CHAOS, PROTOCOLS, startTimebok } from '../amqp/world.js';
import type { AmqpProtocol } from '../../../src/config/config.js';
import { answeredCount, figures, makeRequests, postgresStart, postgresStop, report, sendAll, sleep, useReliabilityWorld, waitAnswered } from './harness.js';

const N = CHAOS ? 1000 : 200;
const OUTAGE_MS = 30_000;

describe.each(PROTOCOLS)('T4 over AMQP %s', (protocol: AmqpProtocol) => {
  const run = useReliabilityWorld('t4', N, async (w) => [await startTimebok(w.world, w.db.url, w.schemas, { connectionName: 'timebok t4' })], postgresStart, { protocol });

  test(`T4: ${N} requests, PostgreSQL stopped 30 s → 0 lost, 0 double, 0 dead-lettered, resumes ≤ 10 s after`, async () => {
    const { hn, world, db } = run;
    const [timebok] = run.instances;
    const requests = makeRequests(hn, world, N);
    const half = Math.floor(N / 2);
    await sendAll(hn, world.queues.ourAsync, requests.slice(0, half));
    let resumedAfterMs = -1;
    let answeredAtRestart = 0;
    try {
      await waitAnswered(hn, requests, Math.floor(N / 4), 240_000);
      postgresStop();
      // The second half arrives while the database is away: it must be held, not nacked or dead-lettered.
      const outageEnd = Date.now() + OUTAGE_MS;
      await sendAll(hn, world.queues.ourAsync, requests.slice(half));
      await sleep(Math.max(0, outageEnd - Date.now()));
    } finally {
      postgresStart();
    }
    const back = Date.now();
    answeredAtRestart = answeredCount(hn, requests);
    await hn.waitFor(() => answeredCount(hn, requests) > answeredAtRestart, 60_000, 'the first answer after the outage');
    resumedAfterMs = Date.now() - back;
    await waitAnswered(hn, requests, N, 300_000);
    await sleep(1000);
    const f = await figures(hn, world, db.url, requests);
    report('T4', protocol, {
      sent: f.sent, answered: f.answered, lost: f.lost, double: f.double, wire_dup: f.wire_dup, dead_lettered: f.dead_lettered,
      outage_ms: OUTAGE_MS, resumed_after_ms: resumedAfterMs, held: timebok?.transport.stats.held ?? 0, requeued: timebok?.transport.stats.requeued ?? 0,
    });
    expect(answeredAtRestart).toBeLessThan(N);
    expect(f).toMatchObject({ answered: N, lost: 0, double: 0, dead_lettered: 0 });
    expect(f.invariants).toMatchObject({ slotsAboveCapacity: 0, inboxRows: N, distinctInboxMsgIds: N, unsentOutbox: 0, bookings: N });
    expect(timebok?.transport.stats.held ?? 0).toBeGreaterThan(0);
    expect(timebok?.transport.stats.requeued ?? -1).toBe(0);
    expect(resumedAfterMs).toBeLessThanOrEqual(10_000);
  }, 600_000);
});
