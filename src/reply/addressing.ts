import type { CodedValue, MsgHeadParty, PartyLevel } from '../envelope/types.js';
import type { Party } from '../registry/types.js';

/** One level of MsgHead/AppRec addressing, as Timebok writes it. */
export interface AddressLevel {
  herId: number;
  name: string;
  kind: 'organisation' | 'person';
  organisationNumber?: string | null;
  hprNumber?: string | null;
  roleToPatient?: CodedValue;
}

/** Two-level address: organisation (level 1) and communication party (level 2). */
export interface Address {
  level1: AddressLevel;
  level2: AddressLevel | null;
}

/**
 * RoleToPatient (9034) of a practitioner as a level 2, as the official examples write it for a
 * practitioner's own book ("6 Fastlege"). The registry has no role, so this is the one we write.
 */
export const PRACTITIONER_ROLE: CodedValue = { v: '6', s: '2.16.578.1.12.4.1.1.9034', dn: 'Fastlege' };

/** Builds an address from registry parties (DECISIONS 17: our names come from the registry). */
export function addressFromRegistry(party: Party, parent: Party | null): Address {
  const level = (p: Party): AddressLevel => ({
    herId: p.herId,
    name: p.name,
    kind: p.type === 'Person' ? 'person' : 'organisation',
    organisationNumber: p.organizationNumber,
    hprNumber: p.hprNumber,
    ...(p.type === 'Person' ? { roleToPatient: PRACTITIONER_ROLE } : {}),
  });
  if (parent === null) return { level1: level(party), level2: null };
  return { level1: level(parent), level2: level(party) };
}

/** Fallback when a party is not in the registry: the addressing as the message gave it. */
export function addressFromMsgHead(party: MsgHeadParty): Address {
  const level = (p: PartyLevel): AddressLevel => ({
    herId: p.herId ?? 0,
    name: p.name || 'Ukjent',
    kind: p.kind,
    organisationNumber: p.organisationNumber ?? null,
    hprNumber: p.hprNumber ?? null,
    ...(p.roleToPatient ? { roleToPatient: p.roleToPatient } : {}),
  });
  return { level1: level(party.level1), level2: party.level2 ? level(party.level2) : null };
}

/** Splits a registry person name ("August September") into given and family names. */
export function splitPersonName(name: string): { givenName: string; familyName: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2) return { givenName: '', familyName: parts[0] ?? '' };
  const familyName = parts.pop() as string;
  return { givenName: parts.join(' '), familyName };
}

/** The level that the AMQP `toHerId`/`fromHerId` name: level 2, or level 1 when there is none. */
export function communicationPartyHerId(address: Address): number {
  return (address.level2 ?? address.level1).herId;
}

/** The registry as the choice of our sender needs it. */
export interface OurPartyLookup {
  getParty(herId: number): Promise<Party | null>;
  /** The parties this Timebok serves, in HER-id order. */
  ourParties(): Promise<Party[]>;
}

/**
 * Who we are when we answer a delivery: the party of ours whose queue received it, as the registry
 * says (its queues, else the `<herId>_<kind>` naming of the queue), never a party named by the sender.
 * Where several of ours share the queue (a practitioner inheriting the office's queues), the one the
 * message is addressed to, if it is one of them. A transport without queues (replay) falls back to the
 * addressed party if it is ours, else the first of ours. Null when we serve no party the registry knows
 * (nobody to answer as: the caller drops the message with a log line).
 */
export async function ourAddressFor(
  registry: OurPartyLookup,
  queue: string,
  addressed: readonly (number | null | undefined)[],
): Promise<Address | null> {
  const ours = await registry.ourParties();
  if (ours.length === 0) return null;
  const wanted = addressed.filter((h): h is number => typeof h === 'number');
  const onQueue = ours.filter((p) => p.queues !== null && (p.queues.async === queue || p.queues.sync === queue || p.queues.error === queue));
  const queueHerId = /^(\d+)_/.exec(queue)?.[1];
  const byName = queueHerId === undefined ? [] : ours.filter((p) => p.herId === Number(queueHerId));
  const candidates = onQueue.length > 0 ? onQueue : byName;
  const chosen =
    candidates.find((p) => wanted.includes(p.herId)) ??
    candidates.find((p) => String(p.herId) === queueHerId) ??
    candidates[0] ??
    ours.find((p) => wanted.includes(p.herId)) ??
    ours[0]!;
  const parent = chosen.parentHerId !== null ? await registry.getParty(chosen.parentHerId) : null;
  return addressFromRegistry(chosen, parent);
}
