/** PEM text <-> DER bytes. */

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export interface PemBlock {
  label: string;
  der: Buffer;
}

/** Every PEM block in `text`, in order. Text outside the blocks (comments, "Bag Attributes") is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const body = (m[2] ?? '').replace(/[\r\n\t ]/g, '');
    // Encrypted "Proc-Type" PEM (legacy OpenSSL) carries headers: createPrivateKey handles those itself.
    if (body.includes(':')) {
      out.push({ label: m[1]!, der: Buffer.alloc(0) });
      continue;
    }
    out.push({ label: m[1]!, der: Buffer.from(body, 'base64') });
  }
  return out;
}

/** DER of each block labelled `label`. */
export function pemDecodeAll(text: string, label: string): Buffer[] {
  return pemBlocks(text)
    .filter((b) => b.label === label)
    .map((b) => b.der);
}

/** Canonical PEM: one block, 64-character lines, trailing newline. */
export function pemEncode(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function looksLikePem(data: Uint8Array | string): boolean {
  const text = typeof data === 'string' ? data : Buffer.from(data.subarray(0, 4096)).toString('latin1');
  return text.includes('-----BEGIN ');
}
