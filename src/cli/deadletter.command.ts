/**
 * `timebok requeue-dead <queue>`: moves dead-lettered messages from `<queue>.dead-letter` back onto
 * `<queue>` (after the cause was fixed), keeping body, properties and application headers. The broker's
 * own dead-letter bookkeeping (`x-death`, `x-first-death-*`, `x-last-death-*`, `x-delivery-count`) is
 * dropped, so the message starts with a fresh delivery count; `x-timebok-requeued` counts the moves.
 * Each message is published with a confirm before it is removed from the dead-letter queue: a crash in
 * between leaves a duplicate, never a loss (the inbox makes the duplicate harmless).
 */
import amqp, { type GetMessage } from 'amqplib';
import { deadLetterQueueOf } from '../transport/amqp/topology.js';
import { headerText } from '../transport/amqp/properties.js';

export interface RequeueDeadOptions {
  url: string;
  queue: string;
  /** At most this many (default: all that are there when the command starts). */
  count?: number;
  /** Only list what would be moved; nothing changes. */
  dryRun?: boolean;
}

const BROKER_HEADERS = /^x-(death|first-death-|last-death-|delivery-count)/;

/** One line per message: ids, process, sender and the dead-letter reason; never the body. */
function describe(msg: GetMessage): string {
  const h = msg.properties.headers ?? {};
  const death = Array.isArray(h['x-death']) ? (h['x-death'][0] as Record<string, unknown> | undefined) : undefined;
  const reason = headerText(h['x-first-death-reason']) ?? headerText(death?.reason) ?? '?';
  const parts = [
    `message-id=${headerText(msg.properties.messageId) ?? '-'}`,
    `type=${headerText(msg.properties.type) ?? '-'}`,
    `fromHerId=${headerText(h.fromHerId) ?? '-'}`,
    `reason=${reason}`,
    `bytes=${msg.content.length}`,
  ];
  return parts.join(' ');
}

/** Returns the number of messages moved (or, with dryRun, that would be moved). */
export async function runRequeueDead(options: RequeueDeadOptions, print: (line: string) => void): Promise<number> {
  const dead = deadLetterQueueOf(options.queue);
  const conn = await amqp.connect(options.url, { noDelay: true });
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.checkQueue(options.queue);
    const { messageCount } = await ch.checkQueue(dead);
    const limit = Math.min(options.count ?? messageCount, messageCount);
    let moved = 0;
    const held: GetMessage[] = [];
    for (let i = 0; i < limit; i++) {
      const msg = await ch.get(dead, { noAck: false });
      if (msg === false) break;
      print(`${options.dryRun ? 'would requeue' : 'requeue'} ${describe(msg)}`);
      if (options.dryRun) {
        held.push(msg);
        moved += 1;
        continue;
      }
      const headers: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(msg.properties.headers ?? {})) if (!BROKER_HEADERS.test(k)) headers[k] = v;
      headers['x-timebok-requeued'] = Number(headers['x-timebok-requeued'] ?? 0) + 1;
      const p = msg.properties;
      await new Promise<void>((resolve, reject) => {
        ch.publish('', options.queue, msg.content, {
          ...(p.messageId !== undefined ? { messageId: p.messageId as string } : {}),
          ...(p.correlationId !== undefined ? { correlationId: p.correlationId as string } : {}),
          ...(p.replyTo !== undefined ? { replyTo: p.replyTo as string } : {}),
          ...(p.contentType !== undefined ? { contentType: p.contentType as string } : {}),
          ...(p.contentEncoding !== undefined ? { contentEncoding: p.contentEncoding as string } : {}),
          ...(p.type !== undefined ? { type: p.type as string } : {}),
          ...(p.expiration !== undefined ? { expiration: p.expiration as string } : {}),
          ...(p.timestamp !== undefined ? { timestamp: p.timestamp as number } : {}),
          ...(p.userId !== undefined ? { userId: p.userId as string } : {}),
          ...(p.appId !== undefined ? { appId: p.appId as string } : {}),
          ...(p.priority !== undefined ? { priority: p.priority as number } : {}),
          persistent: true,
          mandatory: true,
          headers,
        }, (err: unknown) => (err ? reject(err instanceof Error ? err : new Error('publish not confirmed')) : resolve()));
      });
      ch.ack(msg);
      moved += 1;
    }
    // Dry run: give everything back untouched (closing the channel returns unacked messages).
    for (const msg of held) ch.nack(msg, false, true);
    await ch.close();
    print(options.dryRun ? `dry run: ${moved} message(s) in ${dead} would be requeued on ${options.queue}` : `requeued ${moved} message(s) from ${dead} on ${options.queue}`);
    return moved;
  } finally {
    await conn.close().catch(() => undefined);
  }
}
