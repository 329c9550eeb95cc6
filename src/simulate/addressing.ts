/**
 * The MsgHead addressing blocks the templates insert with `{{{sender}}}` and `{{{receiver}}}`: the
 * content of Sender / Receiver for a registry party, two levels (protocol §4): the organisation, and
 * inside it the service (Organisation) or the practitioner (HealthcareProfessional).
 */
import type { Address, AddressLevel } from '../reply/addressing.js';
import { splitPersonName } from '../reply/addressing.js';
import { escapeXml } from './template.js';

const ORG_ID = '2.16.578.1.12.4.1.1.9051';
const PERSON_ID = '2.16.578.1.12.4.1.1.8116';

function herIdent(herId: number, system: string): string {
  return `<Ident><Id>${herId}</Id><TypeId V="HER" S="${system}" DN="HER-id"/></Ident>`;
}

function organisation(level: AddressLevel, inner: string): string {
  const enh = level.organisationNumber
    ? `<Ident><Id>${escapeXml(level.organisationNumber)}</Id><TypeId V="ENH" S="${ORG_ID}" DN="Organisasjonsnummeret i Enhetsregister"/></Ident>`
    : '';
  return `<Organisation><OrganisationName>${escapeXml(level.name)}</OrganisationName>${enh}${herIdent(level.herId, ORG_ID)}${inner}</Organisation>`;
}

function person(level: AddressLevel): string {
  const { givenName, familyName } = splitPersonName(level.name);
  const hpr = level.hprNumber ? `<Ident><Id>${escapeXml(level.hprNumber)}</Id><TypeId V="HPR" S="${PERSON_ID}" DN="HPR-nummer"/></Ident>` : '';
  return `<HealthcareProfessional><FamilyName>${escapeXml(familyName)}</FamilyName><GivenName>${escapeXml(givenName || familyName)}</GivenName>${herIdent(level.herId, PERSON_ID)}${hpr}</HealthcareProfessional>`;
}

/** The XML inside `<Sender>` or `<Receiver>` for `address`. */
export function addressXml(address: Address): string {
  const l2 = address.level2;
  const inner = l2 === null ? '' : l2.kind === 'person' ? person(l2) : organisation(l2, '');
  return organisation(address.level1, inner);
}
