/**
 * One AMQP 1.0 connection per process (protocol §2.1), re-opened after it is lost: the connection
 * (TCP or TLS), then every `onConnect` hook in order (sessions and links), with exponential back-off
 * up to `reconnectMaxMs`. A link that the broker closes (or that fails) makes its owner call `fail()`:
 * the connection is dropped and everything is attached again, so no link is ever left detached.
 *
 * Permanent refusals stop the first start instead of retrying for ever: a TLS check that fails (which
 * one is named), a refused login, a queue we must read that does not exist.
 */
import { coalesceSocketWrites } from '../write-coalescing.js';
import rhea, { type Connection, type ConnectionOptions, type Container } from 'rhea';
import type { Logger } from '../../shared/logger.js';
import { TimebokError, isTimebokError } from '../../shared/errors.js';
import { parseBrokerUrl, redactBrokerUrl, type BrokerAddress } from './address.js';
import { tlsConnectOptions, tlsRefusal, type TlsSettings } from './tls.js';

export type Connect10Hook = (conn: Connection) => Promise<void>;

export interface Amqp10ConnectionOptions {
  url: string;
  tls?: TlsSettings;
  reconnectMaxMs: number;
  /** First retry delay (default 200 ms); doubled per failed attempt up to reconnectMaxMs. */
  initialDelayMs?: number;
  /** Idle time-out we announce (default 20 s): a dead peer is noticed within it. */
  idleTimeoutMs?: number;
  /** How long an open or attach may take (default 15 s). */
  openTimeoutMs?: number;
  logger: Logger;
  /** Container id shown in the broker's connection list. */
  name?: string;
}

/** Error conditions a reconnect will not cure. */
const PERMANENT_CONDITIONS = new Set(['amqp:unauthorized-access', 'amqp:not-found', 'amqp:not-allowed', 'amqp:invalid-field']);

export function isPermanentAmqp10Error(err: unknown): boolean {
  if (isTimebokError(err)) return err.disposition === 'crash';
  const condition = (err as { condition?: unknown } | null)?.condition;
  return typeof condition === 'string' && PERMANENT_CONDITIONS.has(condition);
}

/** An AMQP error (rhea's `{condition, description}`) as text for logs and errors. */
export function amqpErrorText(err: unknown): string {
  if (err === undefined || err === null) return 'closed';
  const e = err as { condition?: unknown; description?: unknown; message?: unknown; code?: unknown };
  if (typeof e.condition === 'string') return `${e.condition}${typeof e.description === 'string' ? `: ${e.description}` : ''}`;
  if (typeof e.message === 'string') return `${e.message}${typeof e.code === 'string' ? ` (${e.code})` : ''}`;
  return String(err);
}

export class Amqp10Connection {
  private conn: Connection | null = null;
  private readonly hooks: Connect10Hook[] = [];
  private readonly container: Container;
  private readonly address: BrokerAddress;
  private readonly socketOptions: ConnectionOptions;
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private connecting: Promise<void> | null = null;
  private firstConnect: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  /** Number of successful (re)connects, for tests and logs. */
  connects = 0;

  constructor(private readonly options: Amqp10ConnectionOptions) {
    this.address = parseBrokerUrl(options.url);
    this.container = rhea.create_container({ id: options.name ?? 'timebok' });
    // rhea also emits errors on the container; they are handled per connection and link.
    this.container.on('error', () => undefined);
    const a = this.address;
    this.socketOptions = {
      host: a.host,
      port: a.port,
      ...(a.username !== undefined ? { username: a.username } : {}),
      ...(a.password !== undefined ? { password: a.password } : {}),
      reconnect: false,
      idle_time_out: options.idleTimeoutMs ?? 20_000,
      // The open frame's hostname: RabbitMQ's AMQP 1.0 plugin picks the virtual host from it only when it
      // reads `vhost:<name>`; the host name selects the default virtual host.
      hostname: a.host,
      container_id: options.name ?? 'timebok',
      ...(a.tls ? { transport: 'tls' as const, ...tlsConnectOptions(a.host, options.tls ?? {}) } : {}),
    } as ConnectionOptions;
  }

  get exchange(): string | null {
    return this.address.exchange;
  }

  get current(): Connection | null {
    return this.conn;
  }

  onConnect(hook: Connect10Hook): void {
    this.hooks.push(hook);
  }

  /** Connects and runs the hooks; resolves after the first success, rejects on a permanent refusal. */
  start(): Promise<void> {
    this.stopping = false;
    return new Promise<void>((resolve, reject) => {
      this.firstConnect = { resolve, reject };
      this.connecting = this.connectOnce();
    });
  }

  /** Opens the connection: resolves when the broker's open arrived, rejects with the reason it did not. */
  private open(): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      const conn = this.container.connect(this.socketOptions);
      // one socket write per event-loop turn (src/transport/write-coalescing.ts)
      coalesceSocketWrites((conn as unknown as { socket?: unknown }).socket);
      let settled = false;
      const timer = setTimeout(() => finish(new Error('AMQP open timed out')), this.options.openTimeoutMs ?? 15_000);
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err === null) {
          resolve(conn);
        } else {
          conn.close();
          reject(err);
        }
      };
      conn.once('connection_open', () => finish(null));
      conn.once('connection_error', (ctx) => finish(ctx.connection.error ?? new Error('connection refused')));
      conn.once('disconnected', (ctx) => {
        const err = (ctx as { error?: unknown }).error ?? new Error('disconnected before open');
        finish(tlsRefusal(err) ?? err);
      });
      // A SASL failure: rhea reports it as a connection error with amqp:unauthorized-access.
      conn.on('error', (e: unknown) => finish(e));
    });
  }

  private async connectOnce(): Promise<void> {
    const { logger } = this.options;
    let conn: Connection | null = null;
    try {
      conn = await this.open();
      if (this.stopping) {
        conn.close();
        return;
      }
      this.conn = conn;
      const opened = conn;
      conn.on('disconnected', () => this.onLost(opened, 'disconnected'));
      conn.on('connection_close', () => this.onLost(opened, 'closed by the broker'));
      conn.on('connection_error', (ctx) => logger.warn({ err: amqpErrorText(ctx.connection.error) }, 'AMQP 1.0 connection error'));
      conn.on('error', () => undefined);
      for (const hook of this.hooks) await hook(conn);
      this.attempt = 0;
      this.connects += 1;
      logger.info({ url: redactBrokerUrl(this.options.url), connects: this.connects, protocol: '1.0' }, 'connected to the broker');
      this.firstConnect?.resolve();
      this.firstConnect = null;
    } catch (err) {
      const reason = amqpErrorText(err);
      if (this.conn === conn) this.conn = null;
      conn?.close();
      if (this.firstConnect && isPermanentAmqp10Error(err)) {
        const first = this.firstConnect;
        this.firstConnect = null;
        this.stopping = true;
        first.reject(isTimebokError(err) ? err : new TimebokError('ERR_CONFIG', `broker refused: ${reason}`, { disposition: 'crash', cause: err }));
        return;
      }
      logger.warn({ err: reason, url: redactBrokerUrl(this.options.url), attempt: this.attempt + 1, alert: conn ? 'broker-setup-failed' : undefined }, 'AMQP 1.0 broker not usable; will retry');
      this.scheduleReconnect();
    }
  }

  private onLost(conn: Connection, why: string): void {
    if (this.conn !== conn) return;
    this.conn = null;
    if (this.stopping) return;
    this.options.logger.warn({ why }, 'AMQP 1.0 connection lost; reconnecting');
    conn.close();
    this.scheduleReconnect();
  }

  /** A link of `conn` was closed or failed: drop the connection; the hooks attach everything again. */
  fail(conn: Connection, reason: string): void {
    if (this.conn !== conn || this.stopping) return;
    this.options.logger.warn({ reason }, 'AMQP 1.0 link lost; re-attaching on a new connection');
    this.onLost(conn, reason);
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.timer) return;
    const base = this.options.initialDelayMs ?? 200;
    const delay = Math.min(this.options.reconnectMaxMs, base * 2 ** Math.min(this.attempt, 20));
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.2));
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connecting = this.connectOnce();
    }, jittered);
  }

  /** Stops reconnecting and closes the connection (sessions and links with it). */
  async close(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.connecting?.catch(() => undefined);
    const conn = this.conn;
    this.conn = null;
    if (conn) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        conn.once('connection_close', () => {
          clearTimeout(t);
          resolve();
        });
        conn.once('disconnected', () => {
          clearTimeout(t);
          resolve();
        });
        conn.close();
      });
    }
    if (this.firstConnect) {
      this.firstConnect.reject(new Error('closed before the broker was reached'));
      this.firstConnect = null;
    }
  }
}

/** A link or session failure as rhea reports it (`{condition, description}`), or undefined. */
function endpointError(ctx: any, kind: 'receiver' | 'sender'): unknown {
  return (kind === 'receiver' ? ctx?.receiver?.error : ctx?.sender?.error) ?? ctx?.session?.error;
}

/**
 * Waits until a link is attached (the broker's attach arrived) or refused: its own error, or its
 * session's (RabbitMQ ends the whole session when a link's address names no queue or exchange).
 */
export function attached(link: { once(event: string, cb: (ctx: any) => void): unknown; session: { once(event: string, cb: (ctx: any) => void): unknown } }, kind: 'receiver' | 'sender', timeoutMs = 15_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${kind} attach timed out`)), timeoutMs);
    const finish = (err: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err === null) resolve();
      else reject(err);
    };
    link.once(`${kind}_open`, () => finish(null));
    link.once(`${kind}_error`, (ctx: any) => finish(endpointError(ctx, kind) ?? new Error(`${kind} refused`)));
    link.once(`${kind}_close`, (ctx: any) => finish(endpointError(ctx, kind) ?? new Error(`${kind} closed`)));
    link.session.once('session_error', (ctx: any) => finish(ctx?.session?.error ?? new Error('session ended')));
    link.session.once('session_close', (ctx: any) => finish(ctx?.session?.error ?? new Error('session ended')));
  });
}
