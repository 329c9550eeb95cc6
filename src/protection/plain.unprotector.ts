import type { InboundDelivery } from '../pipeline/types.js';
import type { Unprotector } from '../pipeline/pipeline.js';
import { TimebokError } from '../shared/errors.js';

/**
 * Accepts plain XML bodies: only for the spool and replay transports, and only when the setting
 * `ALLOW_PLAIN_XML` is on. A CMS body (first byte 0x30, a DER SEQUENCE) is refused here.
 */
export class PlainXmlUnprotector implements Unprotector {
  constructor(private readonly allowPlainXml = true) {}

  async unprotect(delivery: InboundDelivery): Promise<Uint8Array> {
    if (!this.allowPlainXml) {
      throw new TimebokError('ERR_PROTECTION_CMS', 'plain XML is not accepted (ALLOW_PLAIN_XML is off)');
    }
    if (delivery.transport === 'amqp') {
      throw new TimebokError('ERR_PROTECTION_CMS', 'plain XML is not accepted on AMQP');
    }
    if (delivery.body[0] === 0x30) {
      throw new TimebokError('ERR_PROTECTION_CMS', 'CMS-protected body but no keys are configured');
    }
    return delivery.body;
  }
}
