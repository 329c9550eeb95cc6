import type { XmlElement } from './xml.writer.js';
import { NS, OID } from './namespaces.js';
import { replyCodeDisplayName, requestCodeDisplayName } from '../envelope/codes.js';

/** Helsenorge's UI limit for TekstNotatInnhold (protocol §5). */
export const MAX_NOTE_TEXT = 1000;

/** Appends Dialogmelding 1.1 with `Notat/TemaKodet` (every reply, protocol §5). */
export function appendNotat(content: XmlElement, temaKodet: string, text?: string | null): void {
  const notat = content.ele(NS.dialog, 'Dialogmelding').ele('Notat');
  notat.ele('TemaKodet').att('V', temaKodet).att('S', OID.replies).att('DN', replyCodeDisplayName(temaKodet));
  if (text) notat.ele('TekstNotatInnhold').txt(text.slice(0, MAX_NOTE_TEXT));
}

/**
 * Appends Dialogmelding 1.1 with `Foresporsel/TypeForesp`: used by the Avtale push, whose codes come from
 * 7602 (05, 07, 08, 11) or 7601 (MOA).
 */
export function appendForesporsel(content: XmlElement, typeForesp: string): void {
  const isRequestCode = /^[A-Z]+$/.test(typeForesp);
  const f = content.ele(NS.dialog, 'Dialogmelding').ele('Foresporsel');
  f.ele('TypeForesp')
    .att('V', typeForesp)
    .att('S', isRequestCode ? OID.requests : OID.replies)
    .att('DN', isRequestCode ? requestCodeDisplayName(typeForesp) : replyCodeDisplayName(typeForesp));
}
