import { createXml, type XmlElement } from './xml.writer.js';
import { NS, OID } from './namespaces.js';
import { splitPersonName, type Address, type AddressLevel } from './addressing.js';
import { processDisplayName } from '../envelope/codes.js';

/** One MsgHead Document: the payload is appended into RefDoc/Content by `build`. */
export interface OutboundDocument {
  contentDescription?: string;
  description?: string;
  mimeType?: string;
  build(content: XmlElement): void;
}

export interface OutboundPatient {
  idType: string;
  id: string;
  familyName?: string;
  givenName?: string;
}

export interface MsgHeadSpec {
  /** 8279 process code written in MsgInfo/Type/@V. */
  process: string;
  msgId: string;
  genDate: Date;
  ack: 'J' | 'N';
  conversationRef?: { refToParent: string; refToConversation: string } | null;
  sender: Address;
  receiver: Address;
  patient?: OutboundPatient | null;
  documents: OutboundDocument[];
}

/** Serialises a MsgHead 1.2 with its documents. The result validates against booking-bundle.xsd. */
export function buildMsgHead(spec: MsgHeadSpec): string {
  const root = createXml({ version: '1.0', encoding: 'UTF-8' }).ele(NS.msghead, 'MsgHead');
  const info = root.ele('MsgInfo');
  info.ele('Type').att('V', spec.process).att('DN', processDisplayName(spec.process));
  info.ele('MIGversion').txt('v1.2 2006-05-24');
  info.ele('GenDate').txt(spec.genDate.toISOString());
  info.ele('MsgId').txt(spec.msgId);
  info.ele('Ack').att('V', spec.ack).att('DN', spec.ack === 'J' ? 'Ja' : 'Nei');
  if (spec.conversationRef) {
    const ref = info.ele('ConversationRef');
    ref.ele('RefToParent').txt(spec.conversationRef.refToParent);
    ref.ele('RefToConversation').txt(spec.conversationRef.refToConversation);
  }
  appendParty(info.ele('Sender'), spec.sender);
  appendParty(info.ele('Receiver'), spec.receiver);
  if (spec.patient) appendPatient(info.ele('Patient'), spec.patient);
  for (const doc of spec.documents) {
    const d = root.ele('Document');
    if (doc.contentDescription) d.ele('ContentDescription').txt(doc.contentDescription);
    const refDoc = d.ele('RefDoc');
    refDoc.ele('MsgType').att('V', 'XML').att('DN', 'XML-instans');
    if (doc.mimeType) refDoc.ele('MimeType').txt(doc.mimeType);
    if (doc.description) refDoc.ele('Description').txt(doc.description);
    doc.build(refDoc.ele('Content'));
  }
  return root.end({ prettyPrint: true });
}

function appendParty(parent: XmlElement, address: Address): void {
  const org = parent.ele('Organisation');
  org.ele('OrganisationName').txt(address.level1.name);
  appendOrgIdents(org, address.level1);
  const l2 = address.level2;
  if (!l2) return;
  if (l2.kind === 'person') {
    const hp = org.ele('HealthcareProfessional');
    if (l2.roleToPatient) {
      const r = hp.ele('RoleToPatient').att('V', l2.roleToPatient.v).att('S', l2.roleToPatient.s ?? OID.roles);
      if (l2.roleToPatient.dn) r.att('DN', l2.roleToPatient.dn);
    }
    const names = splitPersonName(l2.name);
    hp.ele('FamilyName').txt(names.familyName);
    if (names.givenName) hp.ele('GivenName').txt(names.givenName);
    const ident = hp.ele('Ident');
    ident.ele('Id').txt(String(l2.herId));
    ident.ele('TypeId').att('V', 'HER').att('S', OID.personId).att('DN', 'HER-id');
    if (l2.hprNumber) {
      const hpr = hp.ele('Ident');
      hpr.ele('Id').txt(l2.hprNumber);
      hpr.ele('TypeId').att('V', 'HPR').att('S', OID.personId).att('DN', 'HPR-nummer');
    }
  } else {
    const sub = org.ele('Organisation');
    sub.ele('OrganisationName').txt(l2.name);
    appendOrgIdents(sub, l2);
  }
}

function appendOrgIdents(org: XmlElement, level: AddressLevel): void {
  if (level.organisationNumber) {
    const enh = org.ele('Ident');
    enh.ele('Id').txt(level.organisationNumber);
    enh.ele('TypeId').att('V', 'ENH').att('S', OID.herOrg).att('DN', 'Organisasjonsnummeret i Enhetsregister');
  }
  const her = org.ele('Ident');
  her.ele('Id').txt(String(level.herId));
  her.ele('TypeId').att('V', 'HER').att('S', OID.herOrg).att('DN', 'HER-id');
}

function appendPatient(p: XmlElement, patient: OutboundPatient): void {
  if (patient.familyName) p.ele('FamilyName').txt(patient.familyName);
  if (patient.givenName) p.ele('GivenName').txt(patient.givenName);
  const ident = p.ele('Ident');
  ident.ele('Id').txt(patient.id);
  ident
    .ele('TypeId')
    .att('V', patient.idType)
    .att('S', OID.personId)
    .att('DN', patient.idType === 'DNR' ? 'D-nummer' : 'Fødselsnummer');
}
