import type { OutboxRow } from '../inbox/message.entities.js';
import type { Party } from '../registry/types.js';
import { TimebokError } from '../shared/errors.js';
import { PROTECTED_CONTENT_TYPE } from './cms.protect.js';
import type { CmsProtector } from './cms.protector.js';

/** What goes on the wire for one outbox row. */
export interface EncodedMessage {
  /** Message body: CMS bytes, plain XML (spool only) or empty (error-queue reports carry no body). */
  body: Buffer;
  /** AMQP content-type; null for an error report. */
  contentType: string | null;
}

/** Turns an outbox row into wire bytes; transports call it just before they publish. */
export interface OutboundEncoder {
  /** True when bodies are CMS-protected (signed and encrypted). */
  readonly protects: boolean;
  encode(row: OutboxRow): Promise<EncodedMessage>;
}

export const PLAIN_XML_CONTENT_TYPE = 'application/xml; charset=utf-8';

/** Plain XML bodies: the spool and replay without keys. */
export class PlainEncoder implements OutboundEncoder {
  readonly protects = false;

  async encode(row: OutboxRow): Promise<EncodedMessage> {
    if (row.kind === 'error-report') return { body: Buffer.alloc(0), contentType: null };
    return { body: Buffer.from(row.body, 'utf8'), contentType: PLAIN_XML_CONTENT_TYPE };
  }
}

/**
 * Signs with our key and encrypts for the receiver's encryption certificate from the registry (protocol
 * §3). The outbox keeps the plain MsgHead, so a re-send is protected afresh (new IV, same content).
 */
export class CmsEncoder implements OutboundEncoder {
  readonly protects = true;

  constructor(
    private readonly protector: CmsProtector,
    private readonly getParty: (herId: number) => Promise<Party | null>,
  ) {}

  async encode(row: OutboxRow): Promise<EncodedMessage> {
    if (row.kind === 'error-report') return { body: Buffer.alloc(0), contentType: null };
    const receiver = row.toHerId === null ? null : await this.getParty(row.toHerId);
    if (receiver === null) {
      throw new TimebokError('ERR_REGISTRY_SENDER_UNKNOWN', 'receiver of an outgoing message is not in the registry', {
        detail: { toHerId: row.toHerId },
      });
    }
    const body = await this.protector.protect(Buffer.from(row.body, 'utf8'), receiver);
    return { body: Buffer.from(body), contentType: PROTECTED_CONTENT_TYPE };
  }
}
