import { XMLParser } from 'fast-xml-parser';
import { TimebokError } from '../shared/errors.js';

/** What Timebok reads from an inbound AppRec (1.0 or 1.1): enough to record it against our message. */
export interface InboundAppRec {
  id: string | null;
  status: string | null;
  errors: string[];
  originalMsgId: string | null;
  senderHerId: number | null;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => name === 'Error' || name === 'Dept' || name === 'HCPerson',
});

type Node = Record<string, unknown>;

function child(n: unknown, name: string): Node | undefined {
  if (n && typeof n === 'object') {
    const v = (n as Node)[name];
    if (Array.isArray(v)) return v[0] as Node | undefined;
    if (v && typeof v === 'object') return v as Node;
  }
  return undefined;
}

function text(n: unknown, name: string): string | null {
  if (!n || typeof n !== 'object') return null;
  const v = (n as Node)[name];
  if (typeof v === 'string') return v.trim();
  if (v && typeof v === 'object' && typeof (v as Node)['#text'] === 'string') return ((v as Node)['#text'] as string).trim();
  return null;
}

/**
 * Reads an AppRec that has passed the XML guard. Missing parts come back as null.
 * @throws TimebokError `ERR_ENVELOPE_NOT_WELL_FORMED` when the reader refuses it (fast-xml-parser refuses
 *   element names such as `constructor` and `__proto__`; regression fixture
 *   test/fixtures/hostile/regressions/apprec-with-constructor-element-crashed.xml).
 */
export function parseAppRec(xml: string): InboundAppRec {
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch {
    throw new TimebokError('ERR_ENVELOPE_NOT_WELL_FORMED', 'AppRec could not be read (a reserved or invalid element name)');
  }
  const rec = child(doc, 'AppRec');
  const inst = child(child(child(rec, 'Sender'), 'HCP'), 'Inst');
  const dept = child(inst, 'Dept') ?? child(inst, 'HCPerson');
  const senderId = text(dept, 'Id') ?? text(inst, 'Id');
  const errors = ((rec?.Error as Node[] | undefined) ?? []).map((e) => String(e['@V'] ?? '')).filter((v) => v.length > 0);
  return {
    id: text(rec, 'Id'),
    status: (child(rec, 'Status')?.['@V'] as string | undefined) ?? null,
    errors,
    originalMsgId: text(child(rec, 'OriginalMsgId'), 'Id'),
    senderHerId: senderId && /^\d+$/.test(senderId) ? Number(senderId) : null,
  };
}
