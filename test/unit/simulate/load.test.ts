import { SimulatorError } from '../../../src/simulate/errors.js';
import { assertLocalTarget, percentile, summaryLines } from '../../../src/simulate/load.js';

describe('load mode', () => {
  it('runs only against this machine', () => {
    expect(() => assertLocalTarget({ kind: 'spool', dir: '/tmp/x' })).not.toThrow();
    expect(() => assertLocalTarget({ kind: 'amqp091', url: 'amqp://guest:guest@127.0.0.1:5672' })).not.toThrow();
    expect(() => assertLocalTarget({ kind: 'amqp10', url: 'amqp://localhost:5672/NHNTESTServiceBus' })).not.toThrow();
    expect(() => assertLocalTarget({ kind: 'amqp10', url: 'amqps://u:p@sb.test.nhn.no:5671/NHNTESTServiceBus' })).toThrow(SimulatorError);
    expect(() => assertLocalTarget({ kind: 'amqp091', url: 'amqp://10.0.0.5' })).toThrow(/this machine only/);
  });

  it('takes percentiles by rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('summarises answers by code and latency per function', () => {
    const f = (byCode: Record<string, number>) => ({ sent: 2, answered: 2, timeouts: 0, byCode, p50Ms: 10, p99Ms: 20 });
    const lines = summaryLines({
      citizens: 2, flows: 2, elapsedMs: 2000, requests: 6, requestsPerSecond: 3,
      functions: { HLT: f({ '03': 2 }), RT: f({ '05': 1, '06': 1 }), ART: { sent: 0, answered: 0, timeouts: 0, byCode: {}, p50Ms: null, p99Ms: null } },
      problems: 0, errorReports: 0,
    });
    expect(lines[0]).toBe('load: 2 citizens, 2 flows, 6 requests in 2.0 s (3 requests/s)');
    expect(lines[2]).toBe('  RT  sent 2, answered 2, timeouts 0; codes 05=1 06=1; p50 10 ms, p99 20 ms');
    expect(lines[3]).toBe('  ART sent 0, answered 0, timeouts 0; codes none; p50 - ms, p99 - ms');
  });
});
