/**
 * TLS of the AMQP 1.0 transport (`amqps://`) against TLS endpoints this test starts on this machine: small
 * node `tls` servers in front of RabbitMQ's plain port 5672, with test-only certificates generated here by
 * openssl (a CA we trust, a CA we do not, server certificates for `localhost` and for another name, a
 * client certificate as PEM and as PKCS#12). A certificate from an unknown CA, a wrong host name and a
 * server that offers only TLS 1.1 are each refused with an error that names which; with the right CA and
 * a client certificate the AMQP connection opens through TLS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TlsOptions } from 'node:tls';
import { silentLogger } from '../../../src/shared/logger.js';
import { Amqp10Connection } from '../../../src/transport/amqp10/connection.js';
import type { TlsSettings } from '../../../src/transport/amqp10/tls.js';
import { AMQP_URL } from './world.js';

const broker = new URL(AMQP_URL);
let dir: string;
const servers: Server[] = [];
const f = (name: string) => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
}

/** A CA (self-signed) and a leaf signed by it; `san` is the leaf's subjectAltName. */
function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

function makeLeaf(name: string, ca: string, cn: string, san: string, usage: 'serverAuth' | 'clientAuth'): void {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  writeFileSync(f(`${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
}

/** A TLS endpoint that forwards to the broker's plain AMQP port; resolves with its port. */
async function tlsProxy(options: TlsOptions): Promise<number> {
  const server = createServer(options, (socket) => {
    const upstream = netConnect(Number(broker.port || 5672), broker.hostname);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  server.on('tlsClientError', () => undefined);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

function connection(port: number, tls: TlsSettings): Amqp10Connection {
  const user = `${decodeURIComponent(broker.username || 'guest')}:${decodeURIComponent(broker.password || 'guest')}`;
  return new Amqp10Connection({ url: `amqps://${user}@localhost:${port}/timebok.tls`, tls, reconnectMaxMs: 1000, logger: silentLogger, name: 'timebok tls test' });
}

let good: number;
let unknownCa: number;
let wrongHost: number;
let tls11: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'timebok-tls-'));
  makeCa('ca');
  makeCa('other-ca');
  makeLeaf('server', 'ca', 'localhost', 'DNS:localhost,IP:127.0.0.1', 'serverAuth');
  makeLeaf('stranger', 'other-ca', 'localhost', 'DNS:localhost,IP:127.0.0.1', 'serverAuth');
  makeLeaf('wrong-host', 'ca', 'broker.example', 'DNS:broker.example', 'serverAuth');
  makeLeaf('client', 'ca', 'timebok-client', 'DNS:timebok-client', 'clientAuth');
  openssl('pkcs12', '-export', '-in', 'client.pem', '-inkey', 'client.key', '-out', 'client.p12', '-passout', 'pass:test-pass');
  const read = (n: string) => readFileSync(f(n));
  // The good endpoint also requires a client certificate from our CA.
  good = await tlsProxy({ key: read('server.key'), cert: read('server.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' });
  unknownCa = await tlsProxy({ key: read('stranger.key'), cert: read('stranger.pem') });
  wrongHost = await tlsProxy({ key: read('wrong-host.key'), cert: read('wrong-host.pem') });
  tls11 = await tlsProxy({ key: read('server.key'), cert: read('server.pem'), minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
});

afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('with our CA and a PEM client certificate the AMQP 1.0 connection opens through TLS', async () => {
  const c = connection(good, { caFile: f('ca.pem'), certFile: f('client.pem'), keyFile: f('client.key') });
  try {
    await c.start();
    expect(c.connects).toBe(1);
    expect(c.current).not.toBeNull();
  } finally {
    await c.close();
  }
});

test('a PKCS#12 client certificate with its passphrase works as well', async () => {
  const c = connection(good, { caFile: f('ca.pem'), certFile: f('client.p12'), passphrase: 'test-pass' });
  try {
    await c.start();
    expect(c.connects).toBe(1);
  } finally {
    await c.close();
  }
});

test('a server certificate from a CA we do not trust is refused, saying so', async () => {
  const c = connection(unknownCa, { caFile: f('ca.pem') });
  await expect(c.start()).rejects.toThrow(/TLS refused: .*not issued by a trusted CA.*untrusted-certificate/);
  await c.close();
});

test('without AMQP_TLS_CA_FILE the system store is used: our test CA is unknown to it', async () => {
  const c = connection(good, {});
  await expect(c.start()).rejects.toThrow(/untrusted-certificate/);
  await c.close();
});

test('a server certificate for another host name is refused, saying so', async () => {
  const c = connection(wrongHost, { caFile: f('ca.pem') });
  await expect(c.start()).rejects.toThrow(/TLS refused: .*does not name the host.*host-name-mismatch/);
  await c.close();
});

test('a server that offers only TLS 1.1 is refused, saying so', async () => {
  const c = connection(tls11, { caFile: f('ca.pem') });
  await expect(c.start()).rejects.toThrow(/TLS refused: .*no TLS 1.2 or 1.3.*protocol-version/);
  await c.close();
});
