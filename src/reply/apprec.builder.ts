import { createXml, type XmlElement } from './xml.writer.js';
import { NS, OID } from './namespaces.js';
import type { Address } from './addressing.js';
import { appRecErrorDisplayName, processDisplayName } from '../envelope/codes.js';

export interface AppRecError {
  /** 8221 code, e.g. T02, E10. */
  code: string;
  /** Free text naming element and rule; never a value from the message. */
  description?: string;
}

export interface AppRecSpec {
  id: string;
  genDate: Date;
  /** Us (the receiver of the original message). */
  sender: Address;
  /** The sender of the original message. */
  receiver: Address;
  /** 1 OK, 2 Avvist. */
  status: '1' | '2';
  errors: AppRecError[];
  original: { msgType: string; issueDate: string; id: string };
}

const STATUS_DN: Record<AppRecSpec['status'], string> = { '1': 'OK', '2': 'Avvist' };

/**
 * Builds an AppRec 1.1 (protocol §9). Addressing per docs/decisions.md §18: `Inst` = level 1; a level-2
 * organisation goes in `Dept`, a practitioner in `HCPerson`.
 */
export function buildAppRec(spec: AppRecSpec): string {
  const root = createXml({ version: '1.0', encoding: 'UTF-8' }).ele(NS.apprec, 'AppRec');
  root.ele('MsgType').att('V', 'APPREC').att('DN', 'Applikasjonskvittering');
  root.ele('MIGversion').txt('v1.1 2012-02-15');
  root.ele('SoftwareName').txt('Timebok');
  root.ele('GenDate').txt(spec.genDate.toISOString());
  root.ele('Id').txt(spec.id);
  appendHcp(root.ele('Sender'), spec.sender);
  appendHcp(root.ele('Receiver'), spec.receiver);
  root.ele('Status').att('V', spec.status).att('DN', STATUS_DN[spec.status]);
  for (const e of spec.errors) {
    const el = root.ele('Error').att('V', e.code).att('S', OID.appRecErrors).att('DN', appRecErrorDisplayName(e.code));
    if (e.description) el.att('OT', e.description.slice(0, 500));
  }
  const orig = root.ele('OriginalMsgId');
  orig.ele('MsgType').att('V', spec.original.msgType).att('DN', processDisplayName(spec.original.msgType));
  orig.ele('IssueDate').txt(spec.original.issueDate);
  orig.ele('Id').txt(spec.original.id);
  return root.end({ prettyPrint: true });
}

function appendHcp(parent: XmlElement, address: Address): void {
  const inst = parent.ele('HCP').ele('Inst');
  inst.ele('Name').txt(address.level1.name);
  inst.ele('Id').txt(String(address.level1.herId));
  inst.ele('TypeId').att('V', 'HER').att('DN', 'HER-id');
  const l2 = address.level2;
  if (!l2) return;
  if (l2.kind === 'person') {
    const p = inst.ele('HCPerson');
    p.ele('Name').txt(l2.name);
    p.ele('Id').txt(String(l2.herId));
    p.ele('TypeId').att('V', 'HER').att('DN', 'HER-id');
  } else {
    const d = inst.ele('Dept');
    d.ele('Name').txt(l2.name);
    d.ele('Id').txt(String(l2.herId));
    d.ele('TypeId').att('V', 'HER').att('DN', 'HER-id');
  }
}
