import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { TimebokError } from '../shared/errors.js';

/**
 * Messages read from files (spool, replay) carry no AMQP properties. Timebok takes them from the
 * MsgHead: the sender's level-2 HER-id is the transport `fromHerId` ("as if received from the MsgHead
 * sender"). This is a tolerant look at the text, used only to know whom to report to when the XML is
 * too broken to parse; the pipeline still parses and checks everything itself.
 */
export function sniffSenderHerId(body: Uint8Array): number | undefined {
  const head = Buffer.from(body.subarray(0, 64 * 1024)).toString('utf8');
  const sender = /<(?:\w+:)?Sender[\s>][\s\S]*?<\/(?:\w+:)?Sender>/.exec(head)?.[0];
  if (!sender) return undefined;
  const ids = [...sender.matchAll(/<(?:\w+:)?Id>\s*(\d+)\s*<\/(?:\w+:)?Id>\s*<(?:\w+:)?TypeId[^>]*V="HER"/g)];
  const last = ids[ids.length - 1];
  return last ? Number(last[1]) : undefined;
}

/** Optional sidecar `<file>.json` next to a spool file: transport properties a tester wants to set. */
const SidecarSchema = z
  .object({
    fromHerId: z.number().int().positive().optional(),
    toHerId: z.number().int().positive().optional(),
    correlationId: z.string().optional(),
    replyTo: z.string().optional(),
    contentType: z.string().optional(),
    subject: z.string().optional(),
    messageId: z.string().optional(),
  })
  .strict();

export type Sidecar = z.infer<typeof SidecarSchema>;

/**
 * Reads the sidecar `path`; null when there is none.
 * @throws TimebokError `ERR_TRANSPORT_FIELD` when it is not JSON or not a valid sidecar (the message
 *   then is answered with that fault, not processed with half its properties). The text names the
 *   field and rule, never a value.
 */
export async function readSidecar(path: string, maxBytes = 64 * 1024): Promise<Sidecar | null> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  const name = basename(path);
  if (Buffer.byteLength(raw) > maxBytes) {
    throw new TimebokError('ERR_TRANSPORT_FIELD', `sidecar ${name}: larger than ${maxBytes} bytes`, { detail: { sidecar: 'too-large' } });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new TimebokError('ERR_TRANSPORT_FIELD', `sidecar ${name}: not JSON`, { detail: { sidecar: 'not-json' } });
  }
  const parsed = SidecarSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    const field = (i?.path ?? []).map(String).join('.').slice(0, 60);
    throw new TimebokError('ERR_TRANSPORT_FIELD', `sidecar ${name}: ${field || 'top level'}: ${i?.code ?? 'invalid'}`, {
      detail: { sidecar: 'invalid', field },
    });
  }
  return parsed.data;
}
