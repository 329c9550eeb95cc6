/**
 * The spool as a bus (docs/replay.md, docs/protection.md "spool transport"): one folder per queue.
 * Sending writes the `.json` sidecar with the transport fields first and then the body, each under a
 * name starting with `.` and renamed into place, so the practice system never sees half a message.
 * Receiving polls the folders, reads each file (with its sidecar) and moves both to `<queue>/received/`.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SimulatorError } from '../errors.js';
import type { InboundWire, OutboundWire, SimTransport } from './wire.js';

export interface SpoolTransportOptions {
  dir: string;
  pollMs?: number;
}

export class SpoolTransport implements SimTransport {
  readonly kind = 'spool';
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private polling: Promise<void> | null = null;

  constructor(private readonly options: SpoolTransportOptions) {}

  async start(queues: string[], onMessage: (m: InboundWire) => void): Promise<void> {
    for (const q of queues) await mkdir(join(this.options.dir, safeName(q), 'received'), { recursive: true });
    const tick = (): void => {
      if (this.closed) return;
      this.polling = this.pollOnce(queues, onMessage)
        .catch(() => undefined)
        .finally(() => {
          if (!this.closed) this.timer = setTimeout(tick, this.options.pollMs ?? 50);
        });
    };
    tick();
  }

  async send(m: OutboundWire): Promise<void> {
    const dir = join(this.options.dir, safeName(m.queue));
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new SimulatorError('SIM_TRANSPORT', `spool folder ${dir} cannot be created`, { cause: e });
    }
    const isXml = m.contentType !== undefined && /xml/i.test(m.contentType);
    const name = `${Date.now()}-sim-${m.messageId}.${isXml ? 'xml' : 'p7m'}`;
    const fromHerId = Number(m.headers.fromHerId);
    const toHerId = Number(m.headers.toHerId);
    const sidecar = {
      ...(Number.isInteger(fromHerId) && fromHerId > 0 ? { fromHerId } : {}),
      ...(Number.isInteger(toHerId) && toHerId > 0 ? { toHerId } : {}),
      messageId: m.messageId,
      ...(m.correlationId ? { correlationId: m.correlationId } : {}),
      ...(m.replyTo ? { replyTo: m.replyTo } : {}),
      ...(m.contentType ? { contentType: m.contentType } : {}),
      ...(m.subject ? { subject: m.subject } : {}),
    };
    await writeAtomically(dir, `${name}.json`, JSON.stringify(sidecar, null, 2));
    await writeAtomically(dir, name, m.body);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }

  private async pollOnce(queues: string[], onMessage: (m: InboundWire) => void): Promise<void> {
    for (const queue of queues) {
      const dir = join(this.options.dir, safeName(queue));
      let names: string[];
      try {
        names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).filter(isReadable).sort();
      } catch {
        continue;
      }
      const all = new Set(names);
      for (const name of names) {
        if (this.closed) return;
        // A sidecar is read with its file (and may be written before it).
        if (/\.(p7m|xml|cms)\.json$/i.test(name)) continue;
        const wire = await this.readOne(queue, dir, name, all);
        if (wire) onMessage(wire);
      }
    }
  }

  private async readOne(queue: string, dir: string, name: string, all: Set<string>): Promise<InboundWire | null> {
    const path = join(dir, name);
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      return null;
    }
    const received = join(dir, 'received');
    if (name.endsWith('.json')) {
      // An error report: the AMQP properties of a body-less message, as JSON.
      await rename(path, join(received, name)).catch(() => undefined);
      return { queue, body: Buffer.alloc(0), headers: stringRecord(parseJson(body)), isErrorReport: true };
    }
    const sidecarName = `${name}.json`;
    const sidecar = all.has(sidecarName) ? stringRecord(parseJson(await readFile(join(dir, sidecarName)).catch(() => Buffer.from('{}')))) : {};
    await rename(path, join(received, name)).catch(() => undefined);
    if (all.has(sidecarName)) await rename(join(dir, sidecarName), join(received, sidecarName)).catch(() => undefined);
    const { messageId, correlationId, replyTo, subject, contentType, ...headers } = sidecar;
    return {
      queue,
      body,
      ...(messageId ? { messageId } : { messageId: name }),
      ...(correlationId ? { correlationId } : {}),
      ...(replyTo ? { replyTo } : {}),
      ...(subject ? { subject } : {}),
      ...(contentType ? { contentType } : {}),
      headers,
      isErrorReport: false,
    };
  }
}

/** Files the practice system is still writing (or has hidden) are not messages yet. */
function isReadable(name: string): boolean {
  return !name.startsWith('.') && !name.endsWith('.tmp') && !name.endsWith('.part') && !name.endsWith('.reason.txt');
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return {};
  }
}

function stringRecord(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && v !== undefined) out[k] = typeof v === 'string' ? v : String(v);
  }
  return out;
}

async function writeAtomically(dir: string, name: string, data: string | Buffer): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  await writeFile(tmp, data);
  await rename(tmp, join(dir, name));
}

function safeName(queue: string): string {
  return queue.replace(/[^A-Za-z0-9_.-]/g, '_');
}
