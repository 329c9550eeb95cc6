import type { ChannelModel } from 'amqplib';

/** What coalescing needs of a socket (a net.Socket or tls.TLSSocket). */
interface CorkableSocket {
  write: (...args: unknown[]) => boolean;
  cork(): void;
  uncork(): void;
  destroyed?: boolean;
}

/**
 * Coalesces what a broker client writes to its socket during one turn of the event loop into one socket
 * write.
 *
 * amqplib and rhea write every frame as its own `write` (a publish of a 10 KB message is two, an ack
 * one); with `noDelay` each write is a system call and a TCP segment. In the end-to-end bench the broker
 * socket's writes were about 5 % of Timebok's CPU on 0-9-1 and fell to 1 %; on AMQP 1.0, together with
 * credit given back in batches (amqp10/consumer.ts), bookings went from about 345 to 415 a second.
 * Corking the socket at the first write of a turn and uncorking it when the turn's I/O
 * callbacks have run (`setImmediate`) sends the same bytes, in the same order, in one `writev`; nothing
 * waits longer than the rest of the current turn.
 *
 * Returns false, changing nothing, when `socket` is not a socket (frames are then written one by one,
 * as before).
 */
export function coalesceSocketWrites(socket: unknown): boolean {
  const s = socket as CorkableSocket | undefined;
  if (!s || typeof s.write !== 'function' || typeof s.cork !== 'function' || typeof s.uncork !== 'function') return false;
  const write = s.write.bind(s);
  let corked = false;
  s.write = (...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      s.cork();
      setImmediate(() => {
        corked = false;
        if (!s.destroyed) s.uncork();
      });
    }
    return write(...args);
  };
  return true;
}

/** {@link coalesceSocketWrites} for amqplib's connection (its socket is `connection.stream`). */
export function coalesceWrites(model: ChannelModel): boolean {
  return coalesceSocketWrites((model as unknown as { connection?: { stream?: unknown } }).connection?.stream);
}
