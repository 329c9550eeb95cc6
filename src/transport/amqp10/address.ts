/**
 * AMQP_URL in the form NHN hands out (`amqps://user:password@host:5671/<exchange>`) and the addresses of
 * NHN's RabbitMQ dialect of AMQP 1.0 (docs/amqp.md): senders attach to `/exchange/<exchange>/<queue>`
 * (the routing key is the queue's name), receivers to `/amq/queue/<queue>`. With no exchange in the URL,
 * senders attach to `/amq/queue/<queue>` as well (the default exchange; RabbitMQ refuses the link when
 * the queue does not exist). Pure functions.
 */
import { TimebokError } from '../../shared/errors.js';

export interface BrokerAddress {
  tls: boolean;
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  /** The URL's path (case-sensitive), e.g. `NHNTESTServiceBus`; null when the URL has none. */
  exchange: string | null;
}

function bad(reason: string): TimebokError {
  return new TimebokError('ERR_CONFIG', `setting AMQP_URL: ${reason}`, { detail: { setting: 'AMQP_URL' } });
}

/** Parses AMQP_URL; throws ERR_CONFIG naming what is wrong (never echoing the password). */
export function parseBrokerUrl(url: string): BrokerAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('not a URL (expected amqps://user:password@host:5671/<exchange>)');
  }
  if (u.protocol !== 'amqp:' && u.protocol !== 'amqps:') throw bad(`scheme ${u.protocol} is neither amqp: nor amqps:`);
  if (!u.hostname) throw bad('no host');
  const tls = u.protocol === 'amqps:';
  const path = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (path.includes('/')) throw bad('the path must be one exchange name (e.g. /NHNTESTServiceBus)');
  return {
    tls,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : tls ? 5671 : 5672,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    exchange: path.length > 0 ? path : null,
  };
}

/** The URL with its password replaced, for logs. */
export function redactBrokerUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'amqp://?';
  }
}

/** Where a sender link for `queue` attaches. */
export function targetAddress(exchange: string | null, queue: string): string {
  return exchange === null ? `/amq/queue/${queue}` : `/exchange/${exchange}/${queue}`;
}

/** Where a receiver link for `queue` attaches. */
export function sourceAddress(queue: string): string {
  return `/amq/queue/${queue}`;
}

/** The queue name in a reply-to or `to` value: the last path segment (`/amq/queue/x`, `host/bus/x`, `x`). */
export function queueOfAddress(address: string): string {
  const parts = address.split('/').filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? address;
}

/** The URL without its path (the exchange), for a client that reads the path as a virtual host (amqplib). */
export function brokerUrlWithoutExchange(url: string): string {
  try {
    const u = new URL(url);
    u.pathname = '';
    return u.toString().replace(/\/(\?|$)/, '$1');
  } catch {
    return url;
  }
}
