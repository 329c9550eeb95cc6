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

/** Builds an address from registry parties (DECISIONS 17: our names come from the registry). */
export function addressFromRegistry(party: Party, parent: Party | null): Address {
  const level = (p: Party): AddressLevel => ({
    herId: p.herId,
    name: p.name,
    kind: p.type === 'Person' ? 'person' : 'organisation',
    organisationNumber: p.organizationNumber,
    hprNumber: p.hprNumber,
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
