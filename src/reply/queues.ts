import type { InboundMessage } from '../envelope/types.js';
import type { Party } from '../registry/types.js';

/** Where replies and reports for a counterparty go (registry queues, else the `<herId>_*` convention). */
export function asyncQueueOf(party: Party | null, herId: number): string {
  return party?.queues?.async ?? `${herId}_async`;
}

export function errorQueueOf(party: Party | null, herId: number): string {
  return party?.queues?.error ?? `${herId}_error`;
}

/** Sync replies go to the request's reply-to, else the sender's `<herId>_syncreply` queue. */
export function syncReplyQueueOf(replyTo: string | undefined, herId: number): string {
  return replyTo && replyTo.length > 0 ? replyTo : `${herId}_syncreply`;
}

/** The level-2 HER-id of a MsgHead party (level 1 when it has no level 2). */
export function level2HerId(party: InboundMessage['sender']): number | null {
  return party.level2?.herId ?? party.level1.herId;
}
