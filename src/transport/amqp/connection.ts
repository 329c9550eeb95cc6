/**
 * One persistent broker connection per process (protocol §2.1), re-opened after it is lost: the
 * connection, then every `onConnect` hook in order (channels, topology, consumers), with exponential
 * backoff up to `reconnectMaxMs`. A hook that fails closes the connection and the cycle starts again.
 */
import amqp, { type ChannelModel } from 'amqplib';
import { coalesceWrites } from '../write-coalescing.js';
import type { Logger } from '../../shared/logger.js';
import { brokerUrlWithoutExchange } from '../amqp10/address.js';

export type ConnectHook = (conn: ChannelModel) => Promise<void>;

export interface AmqpConnectionOptions {
  url: string;
  reconnectMaxMs: number;
  /** First retry delay (default 200 ms); doubled per failed attempt up to reconnectMaxMs. */
  initialDelayMs?: number;
  /** Heartbeat in seconds (default 10): a dead broker is noticed within about two of them. */
  heartbeatS?: number;
  logger: Logger;
  /** Shown in the broker's connection list. */
  name?: string;
}

/** A broker error that re-connecting will not cure (406 PRECONDITION_FAILED on a queue declaration, 403 access refused). */
export function isPermanentBrokerError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 406 || code === 403 || code === 530 || code === 404;
}

/**
 * Adds `heartbeat=` to the URL unless it names one. The URL's path is the bus's exchange (NHN's form,
 * docs/amqp.md), not a virtual host: amqplib connects to the default virtual host.
 */
function withHeartbeat(rawUrl: string, seconds: number): string {
  const url = brokerUrlWithoutExchange(rawUrl);
  if (/[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=${seconds}`;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'amqp://?';
  }
}

export class AmqpConnection {
  private conn: ChannelModel | null = null;
  private readonly hooks: ConnectHook[] = [];
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private connecting: Promise<void> | null = null;
  private firstConnect: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  /** Number of successful (re)connects, for tests and logs. */
  connects = 0;

  constructor(private readonly options: AmqpConnectionOptions) {}

  /** Registers a hook run after every (re)connect, in registration order. */
  onConnect(hook: ConnectHook): void {
    this.hooks.push(hook);
  }

  get current(): ChannelModel | null {
    return this.conn;
  }

  /**
   * Connects and runs the hooks; resolves after the first success. While the broker cannot be reached it
   * keeps trying with backoff; a permanent error (406 on a queue declaration, 403) rejects instead.
   */
  start(): Promise<void> {
    this.stopping = false;
    return new Promise<void>((resolve, reject) => {
      this.firstConnect = { resolve, reject };
      this.connecting = this.connectOnce();
    });
  }

  private async connectOnce(): Promise<void> {
    const { url, logger } = this.options;
    let conn: ChannelModel | null = null;
    try {
      conn = await amqp.connect(withHeartbeat(url, this.options.heartbeatS ?? 10), {
        noDelay: true,
        clientProperties: { connection_name: this.options.name ?? 'timebok' },
      });
      conn.on('error', (err: Error) => logger.warn({ err: err.message }, 'broker connection error'));
      if (!coalesceWrites(conn)) logger.debug('amqplib socket not found: frames are written one by one');
      if (this.stopping) {
        await conn.close().catch(() => undefined);
        return;
      }
      this.conn = conn;
      const opened = conn;
      conn.on('close', () => this.onClosed(opened));
      for (const hook of this.hooks) await hook(conn);
      this.attempt = 0;
      this.connects += 1;
      logger.info({ url: redactUrl(url), connects: this.connects }, 'connected to the broker');
      this.firstConnect?.resolve();
      this.firstConnect = null;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (conn) {
        // A hook failed on a live connection: drop it and start again (onClosed schedules the retry).
        this.conn = null;
        if (this.firstConnect && isPermanentBrokerError(err)) {
          const first = this.firstConnect;
          this.firstConnect = null;
          this.stopping = true;
          await conn.close().catch(() => undefined);
          first.reject(err);
          return;
        }
        logger.error({ err: message, alert: 'broker-setup-failed' }, 'broker set-up failed; reconnecting');
        await conn.close().catch(() => undefined);
        this.scheduleReconnect();
        return;
      }
      logger.warn({ err: message, url: redactUrl(url), attempt: this.attempt + 1 }, 'broker not reachable; will retry');
      this.scheduleReconnect();
    }
  }

  private onClosed(conn: ChannelModel): void {
    if (this.conn === conn) this.conn = null;
    if (this.stopping) return;
    this.options.logger.warn('broker connection lost; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.timer) return;
    const base = this.options.initialDelayMs ?? 200;
    const delay = Math.min(this.options.reconnectMaxMs, base * 2 ** Math.min(this.attempt, 20));
    // Some jitter so that several processes do not hit a restarted broker in step.
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.2));
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connecting = this.connectOnce();
    }, jittered);
  }

  /** Stops reconnecting and closes the connection (channels with it). */
  async close(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.connecting?.catch(() => undefined);
    const conn = this.conn;
    this.conn = null;
    if (conn) await conn.close().catch(() => undefined);
    if (this.firstConnect) {
      this.firstConnect.reject(new Error('closed before the broker was reached'));
      this.firstConnect = null;
    }
  }
}
