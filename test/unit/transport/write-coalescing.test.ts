import { Writable } from 'node:stream';
import { coalesceSocketWrites } from '../../../src/transport/write-coalescing.js';

/** The broker socket's writes of one event-loop turn go out together, in order (src/transport/write-coalescing.ts). */
function recorder(): { stream: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      done();
    },
  });
  return { stream, calls };
}

const nextTurn = () => new Promise((r) => setImmediate(() => setImmediate(r)));

test('three writes in one turn reach the socket as one write, in order; the next turn starts a new one', async () => {
  const { stream, calls } = recorder();
  expect(coalesceSocketWrites(stream)).toBe(true);
  stream.write('a');
  stream.write('b');
  stream.write('c');
  expect(calls).toEqual([]); // held until the turn's callbacks have run
  await nextTurn();
  expect(calls).toEqual([['a', 'b', 'c']]);
  stream.write('d');
  await nextTurn();
  expect(calls).toEqual([['a', 'b', 'c'], ['d']]);
});

test('end() flushes what a turn holds', async () => {
  const { stream, calls } = recorder();
  coalesceSocketWrites(stream);
  stream.write('x');
  await new Promise<void>((r) => stream.end('y', r));
  expect(calls.flat()).toEqual(['x', 'y']);
});

test('something that is not a socket is left alone', () => {
  expect(coalesceSocketWrites(undefined)).toBe(false);
  expect(coalesceSocketWrites({ write: () => true })).toBe(false);
});
