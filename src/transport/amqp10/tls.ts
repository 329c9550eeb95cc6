/**
 * TLS for `amqps://` (protocol §2.1: TLS 1.2 or 1.3 only). The server certificate is checked against
 * AMQP_TLS_CA_FILE (else Node's system store) and against the host name of AMQP_URL; an optional client
 * certificate comes from PEM files (AMQP_TLS_CERT_FILE + AMQP_TLS_KEY_FILE) or one PKCS#12 file
 * (AMQP_TLS_CERT_FILE ending .p12/.pfx), with AMQP_TLS_PASSPHRASE. A refused handshake is turned into
 * an error that says which check failed.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { TimebokError } from '../../shared/errors.js';

export interface TlsSettings {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  passphrase?: string;
}

function readSetting(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new TimebokError('ERR_CONFIG', `setting ${setting}: cannot read ${path} (${typeof code === 'string' ? code : 'error'})`, { detail: { setting } });
  }
}

/** True for a PKCS#12 file: by its name, or by content that is not PEM text. */
function isPkcs12(path: string, content: Buffer): boolean {
  if (/\.(p12|pfx)$/i.test(path)) return true;
  return !content.subarray(0, 64).toString('latin1').includes('-----BEGIN');
}

/** Options for `tls.connect` (rhea hands them through). Reads the files now: a bad path stops start-up. */
export function tlsConnectOptions(host: string, s: TlsSettings): ConnectionOptions {
  const options: ConnectionOptions = {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    rejectUnauthorized: true,
    // SNI and the host name check use the URL's host (not an IP literal for SNI).
    ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
  };
  if (s.caFile) options.ca = readSetting('AMQP_TLS_CA_FILE', s.caFile);
  if (s.certFile) {
    const cert = readSetting('AMQP_TLS_CERT_FILE', s.certFile);
    if (isPkcs12(s.certFile, cert)) {
      options.pfx = cert;
    } else {
      if (!s.keyFile) throw new TimebokError('ERR_CONFIG', 'setting AMQP_TLS_KEY_FILE: required with a PEM AMQP_TLS_CERT_FILE', { detail: { setting: 'AMQP_TLS_KEY_FILE' } });
      options.cert = cert;
      options.key = readSetting('AMQP_TLS_KEY_FILE', s.keyFile);
    }
    if (s.passphrase) options.passphrase = s.passphrase;
  } else if (s.keyFile) {
    throw new TimebokError('ERR_CONFIG', 'setting AMQP_TLS_CERT_FILE: required with AMQP_TLS_KEY_FILE', { detail: { setting: 'AMQP_TLS_CERT_FILE' } });
  }
  return options;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED',
]);

export type TlsFailure = 'untrusted-certificate' | 'host-name-mismatch' | 'protocol-version' | 'expired-certificate' | 'client-certificate-refused';

/** Which TLS check a connection error is about, or null when it is not a TLS refusal. */
export function classifyTlsError(err: unknown): TlsFailure | null {
  const code = (err as { code?: unknown } | null)?.code;
  const message = String((err as { message?: unknown } | null)?.message ?? '');
  if (typeof code === 'string') {
    if (UNTRUSTED.has(code)) return 'untrusted-certificate';
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'host-name-mismatch';
    if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'expired-certificate';
    if (/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|WRONG_SSL_VERSION|VERSION_TOO_LOW/.test(code)) return 'protocol-version';
    if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|HANDSHAKE_FAILURE/.test(code) && /alert/i.test(message)) return 'client-certificate-refused';
  }
  if (/unsupported protocol|protocol version/i.test(message)) return 'protocol-version';
  return null;
}

const EXPLAINED: Record<TlsFailure, string> = {
  'untrusted-certificate': 'the broker\'s certificate is not issued by a trusted CA (check AMQP_TLS_CA_FILE)',
  'host-name-mismatch': 'the broker\'s certificate does not name the host of AMQP_URL',
  'protocol-version': 'the broker offers no TLS 1.2 or 1.3 (older versions are refused)',
  'expired-certificate': 'the broker\'s certificate has expired or is not yet valid',
  'client-certificate-refused': 'the broker refused our client certificate (AMQP_TLS_CERT_FILE)',
};

/** A TLS refusal as a clear, permanent error (reconnecting does not cure it); null when `err` is not one. */
export function tlsRefusal(err: unknown): TimebokError | null {
  const which = classifyTlsError(err);
  if (which === null) return null;
  const code = (err as { code?: unknown }).code;
  return new TimebokError('ERR_CONFIG', `TLS refused: ${EXPLAINED[which]} [${which}${typeof code === 'string' ? `, ${code}` : ''}]`, {
    disposition: 'crash', cause: err, detail: { tls: which },
  });
}
