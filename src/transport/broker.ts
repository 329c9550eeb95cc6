/**
 * The broker transport by AMQP_PROTOCOL: AMQP 1.0 (rhea; NHN's bus, the default) or AMQP 0.9.1
 * (amqplib). Both take the same options and return the same handle, so main.ts, the pipeline and the
 * outbox relay do not know which protocol carries them (docs/amqp.md).
 */
import { startAmqpTransport, type AmqpTransport, type AmqpTransportOptions } from './amqp/amqp.transport.js';
import { startAmqp10Transport } from './amqp10/transport.js';

export function startBrokerTransport(options: AmqpTransportOptions): Promise<AmqpTransport> {
  return options.settings.protocol === '1.0' ? startAmqp10Transport(options) : startAmqpTransport(options);
}
