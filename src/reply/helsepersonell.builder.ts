import type { XmlElement } from './xml.writer.js';
import { NS, OID } from './namespaces.js';

/** A practitioner named in a Helsepersonell document (protocol §7). */
export interface PractitionerSpec {
  givenName: string;
  familyName: string;
  /** HER-id of the practitioner (8116 HER), when known. */
  herId?: number | null;
  /** HPR number (8116 HPR), when known. At least one of herId and hprNumber must be given. */
  hprNumber?: string | null;
  /** 9034 RoleToPatient, e.g. { v: '6', dn: 'Fastlege' }; left out when absent. */
  role?: { v: string; dn: string } | null;
}

/**
 * Appends a Helsepersonell document in the 2015-05-04 namespace (protocol §7, §13 item 10): root
 * `HelsepersonelListe` with one `Helsepersonell` holding the practitioner (fk1:HealthcareProfessional
 * content, as in the 2019 Timeønske example). Used with reply code 10 (another practitioner).
 */
export function appendHelsepersonell(content: XmlElement, practitioner: PractitionerSpec): void {
  if ((practitioner.herId === null || practitioner.herId === undefined) && !practitioner.hprNumber) {
    throw new Error('a practitioner needs a HER-id or an HPR number');
  }
  const list = content.ele(NS.helsepersonell, 'HelsepersonelListe').att('http://www.w3.org/2000/xmlns/', 'xmlns:fk1', NS.fk1);
  const hp = list.ele('Helsepersonell').ele('Helsepersonell');
  if (practitioner.role) {
    hp.ele(NS.fk1, 'fk1:RoleToPatient').att('V', practitioner.role.v).att('S', OID.roles).att('DN', practitioner.role.dn);
  }
  hp.ele(NS.fk1, 'fk1:FamilyName').txt(practitioner.familyName);
  if (practitioner.givenName) hp.ele(NS.fk1, 'fk1:GivenName').txt(practitioner.givenName);
  if (practitioner.hprNumber) {
    const ident = hp.ele(NS.fk1, 'fk1:Ident');
    ident.ele(NS.fk1, 'fk1:Id').txt(practitioner.hprNumber);
    ident.ele(NS.fk1, 'fk1:TypeId').att('V', 'HPR').att('S', OID.personId).att('DN', 'HPR-nummer');
  }
  if (practitioner.herId !== null && practitioner.herId !== undefined) {
    const ident = hp.ele(NS.fk1, 'fk1:Ident');
    ident.ele(NS.fk1, 'fk1:Id').txt(String(practitioner.herId));
    ident.ele(NS.fk1, 'fk1:TypeId').att('V', 'HER').att('S', OID.personId).att('DN', 'HER-id');
  }
}
