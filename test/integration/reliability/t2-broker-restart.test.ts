/**
 * RELIABILITY.md T2: the broker is stopped twice mid-run (`rabbitmqctl stop_app`, 5–10 s, `start_app`).
 * Timebok reconnects (connection, channels, topology, consumers) and nothing is lost or done twice;
 * wire duplicates are counted. PR size 300 requests, 5 s stops; TIMEBOK_CHAOS=1: 2,000, 5 and 10 s.
 * The broker is always started again, also when the test fails.
 */
import { CHAOS, PROTOCOLS, startTimebok } from '../amqp/world.js';
import type { AmqpProtocol } from '../../../src/config/config.js';
import { answeredCount, brokerStart, brokerStop, figures, makeRequests, report, sendAll, sleep, useReliabilityWorld, waitAnswered } from './harness.js';

const N = CHAOS ? 2000 : 300;
const STOPS_MS = CHAOS ? [5000, 10_000] : [5000, 5000];

describe.each(PROTOCOLS)('T2 over AMQP %s', (protocol: AmqpProtocol) => {
  const run = useReliabilityWorld('t2', N, async (w) => [await startTimebok(w.world, w.db.url, w.schemas, { connectionName: 'timebok t2' })], brokerStart, { protocol });

  test(`T2: ${N} requests, broker stopped twice → 0 lost, 0 double, wire duplicates bounded`, async () => {
    const { hn, world, db } = run;
    const [timebok] = run.instances;
    const requests = makeRequests(hn, world, N);
    await sendAll(hn, world.queues.ourAsync, requests);
    let stops = 0;
    try {
      for (const [i, pause] of STOPS_MS.entries()) {
        await waitAnswered(hn, requests, Math.floor((N * (i + 1)) / (STOPS_MS.length + 1)), 240_000);
        brokerStop();
        stops += 1;
        await sleep(pause);
        brokerStart();
        // Timebok must be back on the broker before the next stop (else two stops make one reconnect).
        const connects = i + 2;
        for (let t = 0; (timebok?.transport.connection.connects ?? 0) < connects && t < 600; t++) await sleep(100);
      }
    } finally {
      brokerStart();
    }
    await waitAnswered(hn, requests, N, 300_000);
    await sleep(1000);
    const f = await figures(hn, world, db.url, requests);
    report('T2', protocol, { sent: f.sent, answered: f.answered, lost: f.lost, double: f.double, wire_dup: f.wire_dup, dead_lettered: f.dead_lettered, broker_stops: stops, reconnects: (timebok?.transport.connection.connects ?? 1) - 1 });
    expect(stops).toBe(2);
    expect(answeredCount(hn, requests)).toBe(N);
    expect(f).toMatchObject({ answered: N, lost: 0, double: 0, dead_lettered: 0 });
    expect(f.invariants).toMatchObject({ slotsAboveCapacity: 0, inboxRows: N, distinctInboxMsgIds: N, unsentOutbox: 0, bookings: N });
    // Bounded: at most what was in flight around the two stops (prefetch and unconfirmed publishes), both ways.
    expect(f.wire_dup).toBeLessThanOrEqual(N);
    expect(timebok?.transport.connection.connects ?? 0).toBeGreaterThanOrEqual(3);
  }, 600_000);
});
