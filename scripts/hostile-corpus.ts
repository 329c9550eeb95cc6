/**
 * Writes the hostile corpus under test/fixtures/hostile/corpus/ (issue 12 part 2): for each category at least
 * ten inputs made from the official 2019 examples, each with its expected answer beside it
 * (`<file>.expect.json`). Run once and commit the output (`npx tsx scripts/hostile-corpus.ts`): the
 * files are frozen fixtures; test/component/hostile/corpus.test.ts runs them through the pipeline.
 *
 * CMS inputs that must be encrypted for our key cannot be frozen (the test PKI is generated per machine
 * and keys are never committed): they are written as `<file>.recipe.json` — which plaintext, who signs,
 * for whom it is encrypted, what is changed afterwards — and built by the test with the test PKI.
 * CMS inputs that fail before any key is used (BER bombs) are frozen bytes (`.der`).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'test/fixtures/hostile/corpus');
const TR = join(ROOT, 'fixtures/helsenorge-2019/DIALOG_INNBYGGER_TIMERESERVASJON/1.2');
const read = (p: string) => readFileSync(p, 'utf8');
const RT = read(join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'));
const HLT = read(join(TR, 'Ledige-timer--Foresporsel-innbygger--Hent-ledige-timer.xml'));
const ART = read(join(TR, 'Avbestill-time--Foresporsel-innbygger--Avbestill-reservert-time.xml'));
const OT = read(join(ROOT, 'fixtures/helsenorge-2019/DIALOG_INNBYGGER_TIMEONSKE/1.2/Onske-om-time--Foresporsel-innbygger--Onske-om-time.xml'));

/** Expected answer. `answer`: `apprec 2 <code>`, `reply <code>`, `apprec 1 + reply <code>`, `report <condition>`, `none`. */
interface Expect {
  status: 'rejected' | 'reported' | 'answered' | 'dropped' | 'pending';
  code?: string;
  answer: string;
  /** Delivery fields beyond the defaults (spool, queue 91095_async, fromHerId sniffed from the body). */
  delivery?: { queue?: string; fromHerId?: number; toHerId?: number; transport?: 'amqp' | 'spool'; contentType?: string };
  note?: string;
}

interface Variant {
  name: string;
  body?: string | Buffer;
  recipe?: Record<string, unknown>;
  ext?: string;
  expect: Expect;
}

let serial = 0;
/** A fresh MsgId per input so that no two corpus inputs are duplicates of each other. */
function fresh(xml: string): string {
  serial += 1;
  return xml.replace(/<MsgId>[^<]*<\/MsgId>/, `<MsgId>c0ffee00-0000-4000-8000-${String(serial).padStart(12, '0')}</MsgId>`);
}

const HN = 8093248;
const T02 = (note?: string): Expect => ({ status: 'rejected', code: 'ERR_ENVELOPE_SCHEMA', answer: 'apprec 2 T02', ...(note ? { note } : {}) });
const report = (code: string, condition: string, delivery: Expect['delivery'] = { fromHerId: HN }): Expect => ({ status: 'reported', code, answer: `report ${condition}`, delivery });
const NWF = (d?: Expect['delivery']) => report('ERR_ENVELOPE_NOT_WELL_FORMED', 'transport:not-well-formed-xml', d);
const DOCTYPE = () => report('ERR_ENVELOPE_DOCTYPE', 'transport:not-well-formed-xml');
const ENCODING = () => report('ERR_ENVELOPE_ENCODING', 'transport:invalid-encoding');

/** Replaces the first match, failing loudly when the example does not contain it. */
function sub(xml: string, from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? xml.includes(from) : from.test(xml);
  if (!found) throw new Error(`pattern not found: ${String(from)}`);
  return xml.replace(from, to);
}

const VEVENT = /<vevent>[\s\S]*?<\/vevent>/;
const veventOf = (xml: string) => (VEVENT.exec(xml) as RegExpExecArray)[0];

const categories: Record<string, Variant[]> = {};
const ANSWERED05: Expect = { status: 'answered', answer: 'apprec 1 + reply 05' };
const XHTML = (note = 'Sporsmal carries XHTML: markup in it is text to Timebok'): Expect => ({ ...ANSWERED05, note });
const CONTENT: Expect = { status: 'rejected', code: 'ERR_ENVELOPE_CONTENT', answer: 'apprec 2 T02' };
const E31: Expect = { status: 'rejected', code: 'ERR_ENVELOPE_PATIENT_ID', answer: 'apprec 2 E31' };

// ------------------------------------------------------------------------------------------- not XML
categories['not-xml'] = [
  { name: 'plain-text', body: 'Hei, jeg vil bestille time.\n', expect: NWF() },
  { name: 'json', body: '{"MsgHead":{"MsgInfo":{"MsgId":"x"}}}', expect: NWF() },
  { name: 'html-unclosed', body: '<html><body><p>time</body>', expect: NWF() },
  { name: 'csv', body: 'msgid;fnr;slot\n1;x;y\n', expect: NWF() },
  { name: 'lone-angle', body: '<', expect: NWF() },
  { name: 'angles', body: '<<<>>>', expect: NWF() },
  { name: 'pdf-header', body: Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1'), expect: NWF() },
  { name: 'png-bytes', body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), expect: ENCODING() },
  { name: 'gzip-bytes', body: Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0]), expect: ENCODING() },
  { name: 'text-then-xml', body: `garbage before ${RT}`, expect: NWF() },
  { name: 'xml-then-garbage', body: `${fresh(RT)}\ntrailing garbage`, expect: NWF() },
];

// ------------------------------------------------------------------------------------------ truncated
categories['truncated'] = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99].map((f) => ({
  name: `rt-cut-at-${Math.round(f * 100)}pct`,
  body: fresh(RT).slice(0, Math.floor(RT.length * f)),
  expect: NWF(),
}));
categories['truncated'].push({ name: 'rt-cut-inside-a-tag-name', body: fresh(RT).slice(0, RT.indexOf('<Sporsmal>') + 5), expect: NWF() });

// ------------------------------------------------------------------------------- encoding and BOM
const utf8 = (s: string) => Buffer.from(s, 'utf8');
const RT_BODY = RT.replace(/^<\?xml[^>]*\?>\s*/, '');
categories['encoding'] = [
  { name: 'declared-utf16-but-utf8', body: utf8(`<?xml version="1.0" encoding="UTF-16"?>\n${fresh(RT_BODY)}`), expect: ENCODING() },
  { name: 'utf16le-bom-and-content', body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>${fresh(RT_BODY)}`, 'utf16le')]), expect: ENCODING() },
  { name: 'utf16be-bom', body: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(fresh(RT_BODY), 'utf16le').swap16()]), expect: ENCODING() },
  { name: 'utf32-bom', body: Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), utf8(fresh(RT_BODY))]), expect: ENCODING() },
  { name: 'invalid-utf8-in-text', body: Buffer.concat([utf8(fresh(RT).slice(0, RT.indexOf('migrene'))), Buffer.from([0xc3, 0x28]), utf8(RT.slice(RT.indexOf('migrene')))]), expect: ENCODING() },
  { name: 'overlong-utf8-lt', body: Buffer.concat([utf8(fresh(RT).slice(0, RT.indexOf('migrene'))), Buffer.from([0xc0, 0xbc]), utf8(RT.slice(RT.indexOf('migrene')))]), expect: ENCODING() },
  { name: 'declared-shift-jis', body: utf8(`<?xml version="1.0" encoding="Shift_JIS"?>\n${fresh(RT_BODY)}`), expect: ENCODING() },
  { name: 'declared-ebcdic', body: utf8(`<?xml version="1.0" encoding="EBCDIC-CP-US"?>\n${fresh(RT_BODY)}`), expect: ENCODING() },
  { name: 'declared-ascii-with-8bit', body: utf8(`<?xml version="1.0" encoding="US-ASCII"?>\n${fresh(RT_BODY)}`), expect: ENCODING() },
  { name: 'utf8-bom-declared-latin1', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(`<?xml version="1.0" encoding="ISO-8859-1"?>\n${fresh(RT_BODY)}`)]), expect: ENCODING() },
  { name: 'two-utf8-boms', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), utf8(fresh(RT))]), expect: ENCODING() },
  { name: 'surrogate-in-utf8', body: Buffer.concat([utf8(fresh(RT).slice(0, RT.indexOf('migrene'))), Buffer.from([0xed, 0xa0, 0x80]), utf8(RT.slice(RT.indexOf('migrene')))]), expect: ENCODING() },
];

// ------------------------------------------------------------------------------------ billion laughs
const lol = (levels: number, per = 10) => {
  const lines = ['<!ENTITY lol0 "lol">'];
  for (let i = 1; i <= levels; i++) lines.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(per)}">`);
  return lines.join('\n');
};
const withDtd = (dtd: string, ref: string, doctype = 'DOCTYPE') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!${doctype} MsgHead [\n${dtd}\n]>\n${sub(fresh(RT_BODY), 'migrene', ref)}`;
categories['billion-laughs'] = [
  { name: 'classic-lol9', body: withDtd(lol(9), '&lol9;'), expect: DOCTYPE() },
  { name: 'lol3-small', body: withDtd(lol(3), '&lol3;'), expect: DOCTYPE() },
  { name: 'lol20-wide', body: withDtd(lol(20, 2), '&lol20;'), expect: DOCTYPE() },
  { name: 'lowercase-doctype', body: withDtd(lol(9), '&lol9;', 'doctype'), expect: DOCTYPE() },
  { name: 'entity-in-attribute', body: `<?xml version="1.0"?>\n<!DOCTYPE MsgHead [${lol(9)}]>\n${sub(fresh(RT_BODY), 'DN="Ja"', 'DN="&lol9;"')}`, expect: DOCTYPE() },
  { name: 'parameter-entities', body: `<?xml version="1.0"?>\n<!DOCTYPE MsgHead [<!ENTITY % a "<!ENTITY b 'bbbbbbbb'>"> %a; ]>\n${sub(fresh(RT_BODY), 'migrene', '&b;')}`, expect: DOCTYPE() },
  { name: 'doctype-after-comment', body: `<?xml version="1.0"?>\n<!-- hello -->\n<!DOCTYPE MsgHead [${lol(9)}]>\n${sub(fresh(RT_BODY), 'migrene', '&lol9;')}`, expect: DOCTYPE() },
  { name: 'entity-without-reference', body: withDtd(lol(9), 'migrene'), expect: DOCTYPE() },
  { name: 'recursive-entities', body: withDtd('<!ENTITY a "&b;"><!ENTITY b "&a;">', '&a;'), expect: DOCTYPE() },
  { name: 'doctype-inside-content', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal><![CDATA[x]]>`).replace('<Sporsmal><![CDATA[x]]>', `<Sporsmal><!DOCTYPE x [${lol(2)}]>`), expect: DOCTYPE() },
];

// --------------------------------------------------------------------------------- quadratic blow-up
const big = 'A'.repeat(30_000);
categories['quadratic-blowup'] = [
  { name: 'one-big-entity-many-refs', body: withDtd(`<!ENTITY a "${big}">`, '&a;'.repeat(1000)), expect: DOCTYPE() },
  { name: 'big-entity-in-attributes', body: `<?xml version="1.0"?>\n<!DOCTYPE MsgHead [<!ENTITY a "${big}">]>\n${sub(fresh(RT_BODY), 'DN="Ja"', 'DN="&a;&a;&a;&a;&a;&a;&a;&a;"')}`, expect: DOCTYPE() },
  { name: 'many-entities-each-referenced', body: withDtd(Array.from({ length: 200 }, (_, i) => `<!ENTITY e${i} "${'x'.repeat(200)}">`).join('\n'), Array.from({ length: 200 }, (_, i) => `&e${i};`).join('')), expect: DOCTYPE() },
  { name: 'many-attributes', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal ${Array.from({ length: 3000 }, (_, i) => `a${i}="1"`).join(' ')}>`), expect: XHTML() },
  { name: 'duplicate-attributes', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal a="1" a="2">`), expect: NWF() },
  { name: 'many-namespace-declarations', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal ${Array.from({ length: 3000 }, (_, i) => `xmlns:p${i}="urn:x:${i}"`).join(' ')}>`), expect: { status: 'answered', answer: 'apprec 1 + reply 05', note: 'unused namespace declarations are legal; answered quickly' } },
  { name: 'long-element-name', body: sub(fresh(RT), '</Sporsmal>', `</Sporsmal><${'x'.repeat(60_000)}/>`), expect: T02() },
  { name: 'many-siblings', body: sub(fresh(RT), '</Sporsmal>', `</Sporsmal>${'<x/>'.repeat(25_000)}`), expect: T02() },
  { name: 'many-comments', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal>${'<!--c-->'.repeat(12_000)}`), expect: { status: 'answered', answer: 'apprec 1 + reply 05', note: 'comments are legal; answered quickly' } },
  { name: 'long-attribute-value', body: sub(fresh(RT), 'DN="Ja"', `DN="${'y'.repeat(100_000)}"`), expect: { status: 'answered', answer: 'apprec 1 + reply 05', note: 'DN is free text' } },
];

// --------------------------------------------------------------------------------- external entities
const xxe = (decl: string, ref = '&x;') => withDtd(decl, ref);
categories['external-entities'] = [
  { name: 'file-etc-passwd', body: xxe('<!ENTITY x SYSTEM "file:///etc/passwd">'), expect: DOCTYPE() },
  { name: 'file-relative', body: xxe('<!ENTITY x SYSTEM "../../package.json">'), expect: DOCTYPE() },
  { name: 'http', body: xxe('<!ENTITY x SYSTEM "http://127.0.0.1:9/x">'), expect: DOCTYPE() },
  { name: 'https', body: xxe('<!ENTITY x SYSTEM "https://example.invalid/x">'), expect: DOCTYPE() },
  { name: 'ftp', body: xxe('<!ENTITY x SYSTEM "ftp://example.invalid/x">'), expect: DOCTYPE() },
  { name: 'public-id', body: xxe('<!ENTITY x PUBLIC "-//X//Y" "http://example.invalid/x.dtd">'), expect: DOCTYPE() },
  { name: 'external-dtd', body: `<?xml version="1.0"?>\n<!DOCTYPE MsgHead SYSTEM "http://127.0.0.1:9/x.dtd">\n${fresh(RT_BODY)}`, expect: DOCTYPE() },
  { name: 'parameter-entity-http', body: xxe('<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;', 'migrene'), expect: DOCTYPE() },
  { name: 'php-filter', body: xxe('<!ENTITY x SYSTEM "php://filter/resource=/etc/passwd">'), expect: DOCTYPE() },
  { name: 'xinclude-file', body: sub(fresh(RT), '<Sporsmal>', '<Sporsmal><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>'), expect: XHTML('XInclude is never processed: the element in Sporsmal is text to Timebok, no file is read') },
  { name: 'schema-location-http', body: sub(fresh(RT), /xsi:schemaLocation="[^"]*"/, 'xsi:schemaLocation="http://www.kith.no/xmlstds/msghead/2006-05-24 http://127.0.0.1:9/MsgHead.xsd"'), expect: { status: 'answered', answer: 'apprec 1 + reply 05', note: 'schemaLocation is ignored: our own schema set validates, nothing is fetched' } },
];

// ----------------------------------------------------------------------------------- deep nesting
const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
categories['deep-nesting'] = [
  { name: 'a-10000', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal>${deep(10_000, '<a>', '</a>')}`), expect: report('ERR_ENVELOPE_TOO_DEEP', 'transport:not-well-formed-xml') },
  { name: 'a-101-in-content', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal>${deep(101, '<a>', '</a>')}`), expect: report('ERR_ENVELOPE_TOO_DEEP', 'transport:not-well-formed-xml') },
  { name: 'a-1000', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal>${deep(1000, '<a>', '</a>')}`), expect: report('ERR_ENVELOPE_TOO_DEEP', 'transport:not-well-formed-xml') },
  { name: 'prefixed-10000', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal xmlns:q="urn:q">${deep(10_000, '<q:b>', '</q:b>')}`), expect: report('ERR_ENVELOPE_TOO_DEEP', 'transport:not-well-formed-xml') },
  { name: 'with-attributes-5000', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal>${deep(5000, '<a v="1">', '</a>')}`), expect: report('ERR_ENVELOPE_TOO_DEEP', 'transport:not-well-formed-xml') },
  { name: 'open-only-10000', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal>${'<a>'.repeat(10_000)}`), expect: report('ERR_ENVELOPE_TOO_DEEP', 'transport:not-well-formed-xml') },
  { name: 'comments-between-3000', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal>${deep(3000, '<a><!--x-->', '</a>')}`), expect: report('ERR_ENVELOPE_TOO_DEEP', 'transport:not-well-formed-xml') },
  { name: 'deep-in-xcal-2000', body: sub(fresh(RT), '<components/>', `<components>${deep(2000, '<vevent>', '</vevent>')}</components>`), expect: report('ERR_ENVELOPE_TOO_DEEP', 'transport:not-well-formed-xml') },
  { name: 'deep-root-1000', body: `<?xml version="1.0"?>${deep(1000, '<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24">', '</MsgHead>')}`, expect: report('ERR_ENVELOPE_TOO_DEEP', 'transport:not-well-formed-xml') },
  { name: 'cdata-looking-deep', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal><![CDATA[${'<a>'.repeat(10_000)}]]>`), expect: { status: 'answered', answer: 'apprec 1 + reply 05', note: 'markup inside CDATA is text, not nesting' } },
  { name: 'self-closing-many-not-deep', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal>${'<a/>'.repeat(10)}`), expect: XHTML('ten shallow elements in Sporsmal: not too deep, and Sporsmal carries XHTML') },
];

// ----------------------------------------------------------------------------------- over the limit
const LIMIT = 128 * 1024;
categories['over-limit'] = [
  { name: 'whitespace-padding', body: fresh(RT) + ' '.repeat(LIMIT), expect: report('ERR_ENVELOPE_TOO_LARGE', 'transport:not-well-formed-xml') },
  { name: 'comment-padding', body: sub(fresh(RT), '<Sporsmal>', `<Sporsmal><!--${'c'.repeat(LIMIT)}-->`), expect: report('ERR_ENVELOPE_TOO_LARGE', 'transport:not-well-formed-xml') },
  { name: 'long-sporsmal', body: sub(fresh(RT), 'migrene', 'm'.repeat(LIMIT)), expect: report('ERR_ENVELOPE_TOO_LARGE', 'transport:not-well-formed-xml') },
  { name: 'many-vevents', body: sub(fresh(RT), VEVENT, veventOf(RT).repeat(Math.ceil(LIMIT / veventOf(RT).length) + 1)), expect: report('ERR_ENVELOPE_TOO_LARGE', 'transport:not-well-formed-xml') },
  { name: 'big-base64-attachment', body: sub(fresh(RT), '</MsgHead>', `<Document><RefDoc><MsgType V="A"/><MimeType>application/pdf</MimeType><Content><Base64Container xmlns="http://www.kith.no/xmlstds/base64container">${'QUFB'.repeat(LIMIT / 4 + 10)}</Base64Container></Content></RefDoc></Document></MsgHead>`), expect: report('ERR_ENVELOPE_TOO_LARGE', 'transport:not-well-formed-xml') },
  { name: 'one-byte-over', body: (() => { const x = fresh(RT); return x + ' '.repeat(LIMIT - Buffer.byteLength(x) + 1); })(), expect: report('ERR_ENVELOPE_TOO_LARGE', 'transport:not-well-formed-xml') },
  { name: 'multibyte-padding', body: sub(fresh(RT), 'migrene', 'ø'.repeat(LIMIT / 2 + 1)), expect: report('ERR_ENVELOPE_TOO_LARGE', 'transport:not-well-formed-xml') },
  { name: 'not-xml-huge', body: 'x'.repeat(LIMIT + 1), expect: report('ERR_ENVELOPE_TOO_LARGE', 'transport:not-well-formed-xml') },
  { name: 'long-attribute', body: sub(fresh(RT), 'DN="Ja"', `DN="${'y'.repeat(LIMIT)}"`), expect: report('ERR_ENVELOPE_TOO_LARGE', 'transport:not-well-formed-xml') },
  { name: 'nul-padding', body: Buffer.concat([utf8(fresh(RT)), Buffer.alloc(LIMIT)]), expect: report('ERR_ENVELOPE_TOO_LARGE', 'transport:not-well-formed-xml') },
  { name: 'exactly-at-limit-is-read', body: (() => { const x = fresh(RT); return x + ' '.repeat(LIMIT - Buffer.byteLength(x)); })(), expect: { status: 'answered', answer: 'apprec 1 + reply 05', note: 'at the limit is allowed' } },
];

// ---------------------------------------------------------------------------------- wrong namespace
const NS = 'http://www.kith.no/xmlstds/msghead/2006-05-24';
const NOT_MSGHEAD = () => report('ERR_ENVELOPE_NOT_MSGHEAD', 'transport:not-well-formed-xml');
categories['wrong-namespace'] = [
  { name: 'older-date', body: fresh(RT).replace(`xmlns="${NS}"`, 'xmlns="http://www.kith.no/xmlstds/msghead/2006-05-23"'), expect: NOT_MSGHEAD() },
  { name: 'trailing-slash', body: fresh(RT).replace(`xmlns="${NS}"`, `xmlns="${NS}/"`), expect: NOT_MSGHEAD() },
  { name: 'no-namespace', body: fresh(RT).replace(`xmlns="${NS}"`, ''), expect: NOT_MSGHEAD() },
  { name: 'uppercase', body: fresh(RT).replace(`xmlns="${NS}"`, `xmlns="${NS.toUpperCase()}"`), expect: NOT_MSGHEAD() },
  { name: 'https-scheme', body: fresh(RT).replace(`xmlns="${NS}"`, `xmlns="${NS.replace('http:', 'https:')}"`), expect: NOT_MSGHEAD() },
  { name: 'xhtml', body: fresh(RT).replace(`xmlns="${NS}"`, 'xmlns="http://www.w3.org/1999/xhtml"'), expect: NOT_MSGHEAD() },
  { name: 'lowercase-root', body: fresh(RT).replace('<MsgHead ', '<msghead ').replace('</MsgHead>', '</msghead>'), expect: NOT_MSGHEAD() },
  { name: 'other-root-name', body: fresh(RT).replace('<MsgHead ', '<MsgHeader ').replace('</MsgHead>', '</MsgHeader>'), expect: NOT_MSGHEAD() },
  { name: 'prefix-bound-elsewhere', body: fresh(RT).replace(`<MsgHead xmlns="${NS}"`, `<m:MsgHead xmlns:m="urn:other" xmlns="${NS}"`).replace('</MsgHead>', '</m:MsgHead>'), expect: NOT_MSGHEAD() },
  { name: 'apprec-namespace-on-msghead', body: fresh(RT).replace(`xmlns="${NS}"`, 'xmlns="http://www.kith.no/xmlstds/apprec/2012-02-15"'), expect: NOT_MSGHEAD() },
  { name: 'wrapped-in-soap', body: `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>${fresh(RT_BODY)}</s:Body></s:Envelope>`, expect: NOT_MSGHEAD() },
];
for (const v of categories['wrong-namespace']) if (!String(v.body).includes('xmlns')) throw new Error(v.name);

// ------------------------------------------------------------------------------------- missing MsgId
categories['missing-msgid'] = [
  { name: 'removed', body: RT.replace(/<MsgId>[^<]*<\/MsgId>\s*/, ''), expect: T02() },
  { name: 'empty', body: RT.replace(/<MsgId>[^<]*<\/MsgId>/, '<MsgId></MsgId>'), expect: T02() },
  { name: 'self-closing', body: RT.replace(/<MsgId>[^<]*<\/MsgId>/, '<MsgId/>'), expect: T02() },
  { name: 'whitespace', body: RT.replace(/<MsgId>[^<]*<\/MsgId>/, '<MsgId>   </MsgId>'), expect: T02() },
  { name: 'newline-only', body: RT.replace(/<MsgId>[^<]*<\/MsgId>/, '<MsgId>\n</MsgId>'), expect: T02() },
  { name: 'twice', body: RT.replace(/(<MsgId>[^<]*<\/MsgId>)/, '$1<MsgId>c0ffee00-0000-4000-8000-99999999999a</MsgId>'), expect: T02() },
  { name: 'in-wrong-place', body: RT.replace(/<MsgId>[^<]*<\/MsgId>\s*/, '').replace(/(<Ack [^>]*\/>)/, '$1<MsgId>c0ffee00-0000-4000-8000-99999999999b</MsgId>'), expect: T02() },
  { name: 'renamed', body: RT.replace(/<MsgId>([^<]*)<\/MsgId>/, '<MsgID>$1</MsgID>'), expect: T02() },
  { name: 'other-namespace', body: RT.replace(/<MsgId>([^<]*)<\/MsgId>/, '<MsgId xmlns="urn:x">$1</MsgId>'), expect: T02() },
  { name: 'removed-sync-hlt', body: HLT.replace(/<MsgId>[^<]*<\/MsgId>\s*/, ''), expect: { ...T02(), answer: 'reply 26' } },
  { name: 'empty-then-empty-again', body: RT.replace(/<MsgId>[^<]*<\/MsgId>/, '<MsgId></MsgId>').replace('migrene', 'hodepine'), expect: T02('a second message without MsgId is not a duplicate of the first') },
];

// ------------------------------------------------------------------------------------ unknown HER-id
const E21: Expect = { status: 'rejected', code: 'ERR_REGISTRY_RECEIVER', answer: 'apprec 2 E21' };
const SENDER_UNKNOWN = (herId: number): Expect => ({ status: 'reported', code: 'ERR_REGISTRY_SENDER_UNKNOWN', answer: 'report transport:invalid-field-value', delivery: { fromHerId: herId } });
const receiverL2 = (xml: string, id: string) => fresh(xml).replace(/<Id>91095\s*<\/Id>/, `<Id>${id}</Id>`);
categories['unknown-herid'] = [
  { name: 'receiver-level2-unknown', body: receiverL2(RT, '99999'), expect: E21 },
  { name: 'receiver-level2-huge', body: receiverL2(RT, '99999999999'), expect: E21 },
  { name: 'receiver-helsenorge', body: receiverL2(RT, '8093248'), expect: E21 },
  { name: 'receiver-level1-wrong-parent', body: fresh(RT).replace(/<Id>1234<\/Id>/, '<Id>87688</Id>'), expect: E21 },
  { name: 'receiver-level1-unknown', body: fresh(RT).replace(/<Id>1234<\/Id>/, '<Id>424242</Id>'), expect: E21 },
  { name: 'receiver-not-numeric', body: receiverL2(RT, 'abc'), expect: E21 },
  { name: 'receiver-leading-zeros', body: receiverL2(RT, '0091095'), expect: { status: 'answered', answer: 'apprec 1 + reply 05', note: '0091095 is the number 91095' } },
  { name: 'sender-level2-unknown', body: fresh(RT).replace(/<Id>8093248<\/Id>/, '<Id>7777777</Id>'), expect: SENDER_UNKNOWN(7777777) },
  { name: 'sender-is-us', body: fresh(RT).replace(/<Id>8093248<\/Id>/, '<Id>91095</Id>'), expect: { status: 'answered', answer: 'apprec 1 + reply 05', delivery: { fromHerId: 91095 }, note: 'a party of ours in the registry may send; answered to its own queue' } },
  { name: 'receiver-other-service-of-ours', body: receiverL2(RT, '95316').replace(/<Id>1234<\/Id>/, '<Id>87688</Id>'), expect: { status: 'answered', answer: 'apprec 1 + reply 06', code: 'ERR_BOOKING_SLOT_UNAVAILABLE', note: 'the slot is not in 95316\'s book' } },
  { name: 'sender-level2-missing-her', body: fresh(RT).replace(/<Id>8093248<\/Id>\s*<TypeId V="HER"[^>]*\/>/, '<Id>8093248</Id><TypeId V="XYZ" S="2.16.578.1.12.4.1.1.9051"/>'), expect: { status: 'reported', code: 'ERR_TRANSPORT_FIELD', answer: 'report transport:invalid-field-value', delivery: { fromHerId: 115851 }, note: 'a level 2 without HER-id names no communication party; level 1 must not stand in for it' } },
];

// ------------------------------------------------------------------------------------- wrong process
const PROC = /<Type V="DIALOG_INNBYGGER_TIMERESERVASJON"[^>]*\/>/;
const proc = (xml: string, v: string) => sub(fresh(xml), PROC, `<Type V="${v}" DN="x"/>`);
const T10: Expect = { status: 'rejected', code: 'ERR_REGISTRY_PROCESS', answer: 'apprec 2 T10' };
const NOT_OFFERED: Expect = { status: 'answered', code: 'ERR_FUNCTION_NOT_OFFERED', answer: 'apprec 1 + reply 26' };
categories['wrong-process'] = [
  { name: 'unknown-process', body: proc(RT, 'DIALOG_FOO'), expect: T10 },
  { name: 'behandleroversikt', body: proc(RT, 'DIALOG_INNBYGGER_BEHANDLEROVERSIKT'), expect: T10 },
  { name: 'timeonskeungdom-not-activated-on-95316', body: proc(receiverL2(RT, '95316').replace(/<Id>1234<\/Id>/, '<Id>87688</Id>'), 'DIALOG_INNBYGGER_TIMEONSKEUNGDOM'), expect: T10 },
  { name: 'timer', body: proc(RT, 'DIALOG_INNBYGGER_TIMER'), expect: T10 },
  { name: 'rt-in-avtaleutsending', body: proc(RT, 'DIALOG_INNBYGGER_AVTALEUTSENDING'), expect: NOT_OFFERED },
  { name: 'rt-in-timeonske', body: proc(RT, 'DIALOG_INNBYGGER_TIMEONSKE'), expect: NOT_OFFERED },
  { name: 'rt-in-avtaleavbestilling', body: proc(RT, 'DIALOG_INNBYGGER_AVTALEAVBESTILLING'), expect: NOT_OFFERED },
  { name: 'apprec-as-process', body: proc(RT, 'APPREC'), expect: NOT_OFFERED },
  { name: 'empty-process', body: proc(RT, ''), expect: T10 },
  { name: 'process-with-spaces', body: proc(RT, '  DIALOG_INNBYGGER_TIMERESERVASJON  '), expect: { status: 'answered', answer: 'apprec 1 + reply 05', note: 'trimmed, as the examples need ("91095 ")' } },
  { name: 'hlt-in-timeonske-sync', body: proc(HLT, 'DIALOG_INNBYGGER_TIMEONSKE'), expect: { ...NOT_OFFERED, answer: 'reply 26' } },
];

// ---------------------------------------------------------------------------------- function codes
const fn = (xml: string, from: string, to: string) => sub(fresh(xml), new RegExp(`<TypeForesp V="${from}"`), `<TypeForesp V="${to}"`);
categories['unknown-function'] = [
  { name: 'xx', body: fn(RT, 'RT', 'XX'), expect: NOT_OFFERED },
  { name: 'empty', body: fn(RT, 'RT', ''), expect: NOT_OFFERED },
  { name: 'lowercase-rt', body: fn(RT, 'RT', 'rt'), expect: NOT_OFFERED },
  { name: 'reply-code-05', body: fn(RT, 'RT', '05'), expect: NOT_OFFERED },
  { name: 'oab', body: fn(RT, 'RT', 'OAB'), expect: NOT_OFFERED },
  { name: 'he', body: fn(RT, 'RT', 'HE'), expect: NOT_OFFERED },
  { name: 'hb-sync', body: fn(RT, 'RT', 'HB'), expect: { ...NOT_OFFERED, answer: 'reply 26' } },
  { name: 'ot-in-timereservasjon', body: fn(RT, 'RT', 'OT'), expect: NOT_OFFERED },
  { name: 'long-code', body: fn(RT, 'RT', 'R'.repeat(5000)), expect: CONTENT },
  { name: 'proto-code', body: fn(RT, 'RT', '__proto__'), expect: NOT_OFFERED },
  { name: 'constructor-code', body: fn(RT, 'RT', 'constructor'), expect: CONTENT },
];

// ---------------------------------------------------------------------------------------- empty body
const TRANSPORT_FIELD = (d: Expect['delivery'] = { fromHerId: HN }): Expect => ({ status: 'reported', code: 'ERR_TRANSPORT_FIELD', answer: 'report transport:invalid-field-value', delivery: d });
categories['empty-body'] = [
  { name: 'zero-bytes', body: Buffer.alloc(0), expect: NWF() },
  { name: 'whitespace', body: ' \n\t\r\n ', expect: NWF() },
  { name: 'bom-only', body: Buffer.from([0xef, 0xbb, 0xbf]), expect: NWF() },
  { name: 'declaration-only', body: '<?xml version="1.0" encoding="UTF-8"?>', expect: NWF() },
  { name: 'comment-only', body: '<!-- nothing -->', expect: NWF() },
  { name: 'nul-byte', body: Buffer.from([0]), expect: NWF() },
  { name: 'empty-msghead', body: `<MsgHead xmlns="${NS}"/>`, expect: TRANSPORT_FIELD() },
  { name: 'empty-msginfo', body: `<MsgHead xmlns="${NS}"><MsgInfo/></MsgHead>`, expect: TRANSPORT_FIELD() },
  { name: 'no-documents', body: fresh(RT).replace(/<Document>[\s\S]*<\/Document>/, ''), expect: T02() },
  { name: 'empty-content', body: fresh(RT).replace(/<Content>[\s\S]*?<\/Content>/, '<Content/>'), expect: { ...NOT_OFFERED, note: 'no Dialogmelding: no function' } },
  { name: 'empty-patient', body: fresh(RT).replace(/<Patient>[\s\S]*?<\/Patient>/, '<Patient/>'), expect: E31 },
];

// ---------------------------------------------------------------------------------- __proto__ names
categories['proto-names'] = [
  { name: 'proto-in-msginfo', body: sub(fresh(RT), '<Ack ', '<__proto__>x</__proto__><Ack '), expect: T02() },
  { name: 'constructor-in-msginfo', body: sub(fresh(RT), '<Ack ', '<constructor>x</constructor><Ack '), expect: T02() },
  { name: 'proto-in-content', body: sub(fresh(RT), '<Sporsmal>', '<Sporsmal><__proto__ polluted="yes"/>'), expect: XHTML() },
  { name: 'proto-attribute', body: sub(fresh(RT), '<Sporsmal>', '<Sporsmal __proto__="x" constructor="y">'), expect: XHTML() },
  { name: 'prototype-in-xcal', body: sub(fresh(RT), '<components/>', '<components><prototype/></components>'), expect: T02() },
  { name: 'proto-as-vevent-property', body: sub(fresh(RT), '<uid>', '<__proto__><text>x</text></__proto__><uid>'), expect: T02() },
  { name: 'hasownproperty-element', body: sub(fresh(RT), '<Sporsmal>', '<Sporsmal><hasOwnProperty/>'), expect: XHTML() },
  { name: 'tostring-element', body: sub(fresh(RT), '<Sporsmal>', '<Sporsmal><toString/><valueOf/>'), expect: XHTML() },
  { name: 'proto-namespace-prefix', body: sub(fresh(RT), '<Sporsmal>', '<Sporsmal xmlns:__proto__="urn:x"><__proto__:constructor/>'), expect: XHTML() },
  { name: 'proto-in-patient-name', body: sub(fresh(RT), '<FamilyName>Danser</FamilyName>', '<FamilyName>__proto__</FamilyName>'), expect: { status: 'answered', answer: 'apprec 1 + reply 05', note: 'a name that happens to be __proto__ is just text' } },
  { name: 'constructor-uid', body: sub(fresh(RT), '<text>4088E990AD89CB3DBB484909</text>', '<text>constructor</text>'), expect: { status: 'answered', code: 'ERR_BOOKING_SLOT_UNAVAILABLE', answer: 'apprec 1 + reply 06' } },
];

// --------------------------------------------------------------------------------- person ids
const FNR = '13116900216';
const pid = (xml: string, id: string, type = 'FNR') =>
  sub(fresh(xml), new RegExp(`<Id>${FNR}</Id>\\s*<TypeId V="FNR"`), `<Id>${id}</Id><TypeId V="${type}"`);
categories['invalid-person-id'] = [
  { name: 'fnr-first-check-digit', body: pid(RT, '13116900226'), expect: E31 },
  { name: 'fnr-second-check-digit', body: pid(RT, '13116900217'), expect: E31 },
  { name: 'fnr-ten-digits', body: pid(RT, '1311690021'), expect: E31 },
  { name: 'fnr-twelve-digits', body: pid(RT, '131169002160'), expect: E31 },
  { name: 'fnr-letters', body: pid(RT, '1311690021X'), expect: E31 },
  { name: 'fnr-impossible-date', body: pid(RT, '32136900216'), expect: E31 },
  { name: 'dnr-wrong-check-digits', body: pid(RT, '53116900216', 'DNR'), expect: E31 },
  { name: 'fnr-sent-as-dnr', body: pid(RT, FNR, 'DNR'), expect: { ...ANSWERED05, note: 'by design (person-id.ts): an FNR sent as DNR is accepted when its digits are valid, senders mix them' } },
  { name: 'synthetic-testnorge', body: pid(RT, '13916900216'), expect: E31 },
  { name: 'empty-id', body: pid(RT, ''), expect: E31 },
  { name: 'sync-hlt-bad-fnr', body: pid(HLT, '13116900217'), expect: { ...E31, answer: 'reply 26' } },
  { name: 'unknown-id-type', body: pid(RT, FNR, 'HNR'), expect: E31 },
];

// ------------------------------------------------------------------------------------- dates
const dt = (xml: string, start: string, end?: string) => {
  let x = sub(fresh(xml), '<date-time>2019-07-05T11:45:00</date-time>', '<date-time>@START@</date-time>');
  if (end !== undefined) x = sub(x, '<date-time>2019-07-05T12:00:00</date-time>', `<date-time>${end}</date-time>`);
  return x.replace('@START@', start);
};
const SLOT06: Expect = { status: 'answered', code: 'ERR_BOOKING_SLOT_UNAVAILABLE', answer: 'apprec 1 + reply 06' };
const hltDates = (from: string, to: string) => sub(sub(fresh(HLT), '<FraDato>2014-01-30</FraDato>', `<FraDato>${from}</FraDato>`), '<TilDato>2014-02-27</TilDato>', `<TilDato>${to}</TilDato>`);
categories['dates-out-of-range'] = [
  { name: 'month-13', body: dt(RT, '2019-13-05T11:45:00'), expect: T02() },
  { name: 'february-30', body: dt(RT, '2019-02-30T11:45:00'), expect: T02() },
  { name: 'hour-25', body: dt(RT, '2019-07-05T25:45:00'), expect: T02() },
  { name: 'year-0000', body: dt(RT, '0000-07-05T11:45:00'), expect: T02() },
  { name: 'year-9999', body: dt(RT, '9999-07-05T11:45:00', '9999-07-05T12:00:00'), expect: SLOT06 },
  { name: 'in-the-past', body: dt(RT, '1990-07-05T11:45:00', '1990-07-05T12:00:00'), expect: SLOT06 },
  { name: 'hlt-range-two-centuries', body: hltDates('1900-01-01', '2100-12-31'), expect: { status: 'answered', answer: 'reply 03', note: 'bounded by the books\' horizon' } },
  { name: 'hlt-from-after-to', body: hltDates('2019-08-01', '2019-07-01'), expect: { status: 'answered', answer: 'reply 04' } },
  { name: 'hlt-invalid-date', body: hltDates('2019-02-30', '2019-03-01'), expect: { ...T02(), answer: 'reply 26' } },
  { name: 'gendate-invalid', body: sub(fresh(RT), /<GenDate>[^<]*<\/GenDate>/, '<GenDate>yesterday</GenDate>'), expect: T02() },
  { name: 'hlt-year-99999', body: hltDates('99999-01-01', '99999-02-01'), expect: { status: 'rejected', code: 'ERR_ENVELOPE_CONTENT', answer: 'reply 26', note: "xs:date allows five-digit years; a period the booking domain cannot read is refused, not read as 'from today'" } },
];

// ------------------------------------------------------------------------------ dtend before dtstart
categories['dtend-before-dtstart'] = [
  { name: 'one-minute-before', body: dt(RT, '2019-07-05T11:45:00', '2019-07-05T11:44:00'), expect: CONTENT },
  { name: 'one-day-before', body: dt(RT, '2019-07-05T11:45:00', '2019-07-04T11:45:00'), expect: CONTENT },
  { name: 'swapped', body: dt(RT, '2019-07-05T12:00:00', '2019-07-05T11:45:00'), expect: CONTENT },
  { name: 'equal', body: dt(RT, '2019-07-05T11:45:00', '2019-07-05T11:45:00'), expect: CONTENT },
  { name: 'year-before', body: dt(RT, '2019-07-05T11:45:00', '2018-07-05T12:00:00'), expect: CONTENT },
  { name: 'midnight-wrap', body: dt(RT, '2019-07-05T23:45:00', '2019-07-05T00:15:00'), expect: CONTENT },
  { name: 'end-at-epoch', body: dt(RT, '2019-07-05T11:45:00', '1970-01-01T00:00:00'), expect: CONTENT },
  { name: 'cancel-swapped', body: dt(ART, '2019-07-05T12:00:00', '2019-07-05T11:45:00'), expect: { status: 'answered', code: 'ERR_CANCEL_REFUSED', answer: 'apprec 1 + reply 09', note: 'the times of a cancellation only name the appointment; none matches' } },
  { name: 'with-offset-before', body: dt(RT, '2019-07-05T11:45:00+02:00', '2019-07-05T11:00:00+02:00'), expect: T02('xCal date-times here carry no offset') },
  { name: 'utc-before', body: dt(RT, '2019-07-05T11:45:00Z', '2019-07-05T09:45:00Z'), expect: CONTENT },
  { name: 'seconds-before', body: dt(RT, '2019-07-05T11:45:00', '2019-07-05T11:44:59'), expect: CONTENT },
];

// ----------------------------------------------------------------------------------- xCal without uid
const noUid = (xml: string) => sub(fresh(xml), /<uid>\s*<text>[^<]*<\/text>\s*<\/uid>/, '');
categories['xcal-without-uid'] = [
  { name: 'rt-no-uid', body: noUid(RT), expect: SLOT06 },
  { name: 'rt-empty-uid', body: sub(fresh(RT), '<text>4088E990AD89CB3DBB484909</text>', '<text></text>'), expect: SLOT06 },
  { name: 'rt-whitespace-uid', body: sub(fresh(RT), '<text>4088E990AD89CB3DBB484909</text>', '<text>   </text>'), expect: SLOT06 },
  { name: 'rt-no-uid-no-times', body: noUid(RT).replace(/<dtstart>[\s\S]*?<\/dtend>/, ''), expect: SLOT06 },
  { name: 'rt-uid-empty-element', body: sub(fresh(RT), /<uid>\s*<text>[^<]*<\/text>\s*<\/uid>/, '<uid/>'), expect: T02() },
  { name: 'rt-no-uid-no-contact', body: noUid(RT).replace(/<contact>[\s\S]*?<\/contact>/, ''), expect: SLOT06 },
  { name: 'art-no-uid', body: noUid(ART), expect: { status: 'answered', code: 'ERR_CANCEL_REFUSED', answer: 'apprec 1 + reply 09' } },
  { name: 'rt-unknown-uid', body: sub(fresh(RT), '<text>4088E990AD89CB3DBB484909</text>', '<text>NOT-A-SLOT</text>'), expect: SLOT06 },
  { name: 'rt-uid-of-other-book', body: sub(fresh(RT), '<text>4088E990AD89CB3DBB484909</text>', '<text>hjemmesykepleie-tieto@2019-07-09T09:00</text>'), expect: SLOT06 },
  { name: 'rt-no-vevent', body: sub(fresh(RT), VEVENT, ''), expect: { status: 'answered', code: 'ERR_BOOKING_NO_XCAL', answer: 'apprec 1 + reply 26' } },
  { name: 'rt-no-xcal-document', body: fresh(RT).replace(/<Document>(?:(?!<Document>)[\s\S])*?icalendar[\s\S]*?<\/Document>/, ''), expect: { status: 'answered', code: 'ERR_BOOKING_NO_XCAL', answer: 'apprec 1 + reply 26' } },
];

// ------------------------------------------------------------------- Pasientrelasjon in TIMEONSKEUNGDOM
const PR = (rel: string, id = '01010112345') =>
  `<Document><RefDoc><MsgType V="XML" DN="XML-instans"/><Content><Pasientrelasjon xmlns="http://www.kith.no/xmlstds/pasientrelasjon/2014-03-28" xmlns:fk1="http://www.kith.no/xmlstds/felleskomponent1"><Person><fk1:FamilyName>Testesen</fk1:FamilyName><fk1:GivenName>Per</fk1:GivenName><fk1:Ident><fk1:Id>${id}</fk1:Id><fk1:TypeId V="FNR" S="2.16.578.1.12.4.1.1.8116" DN="Fødselsnummer"/></fk1:Ident></Person><Relasjon V="${rel}" S="2.16.578.1.12.4.1.1.7611" DN="x"/></Pasientrelasjon></Content></RefDoc></Document>`;
const ungdom = (xml: string, doc: string) =>
  sub(sub(fresh(xml), /<Type V="DIALOG_INNBYGGER_TIMEONSKE"[^>]*\/>/, '<Type V="DIALOG_INNBYGGER_TIMEONSKEUNGDOM" DN="Dialog med innbygger - timeønske ungdom"/>'), '</MsgHead>', `${doc}</MsgHead>`);
const REPRESENT: Expect = { status: 'answered', code: 'ERR_REPRESENTATION_NOT_ALLOWED', answer: 'apprec 1 + reply 26' };
categories['pasientrelasjon-in-ungdom'] = [
  { name: 'ot-foreldre', body: ungdom(OT, PR('FO')), expect: REPRESENT },
  { name: 'ot-verge', body: ungdom(OT, PR('VE')), expect: REPRESENT },
  { name: 'ot-fullmakt', body: ungdom(OT, PR('FU')), expect: REPRESENT },
  { name: 'ot-tildelt', body: ungdom(OT, PR('TD')), expect: REPRESENT },
  { name: 'ot-unknown-relation', body: ungdom(OT, PR('ZZ')), expect: REPRESENT },
  { name: 'ot-relation-empty', body: ungdom(OT, PR('')), expect: REPRESENT },
  { name: 'ot-representative-bad-fnr', body: ungdom(OT, PR('FO', '01010112346')), expect: REPRESENT },
  { name: 'ot-two-pasientrelasjon', body: ungdom(OT, PR('FO') + PR('VE')), expect: REPRESENT },
  { name: 'ot-relasjon-first', body: sub(ungdom(OT, ''), /<Document>/, `${PR('FO')}<Document>`), expect: REPRESENT },
  { name: 'ot-representative-is-patient', body: ungdom(OT, PR('FO', FNR)), expect: REPRESENT },
  { name: 'without-pasientrelasjon-is-stored', body: ungdom(OT, ''), expect: { status: 'pending', answer: 'apprec 1', note: 'the control: the same Timeønske without a representative is stored for staff' } },
];

// ------------------------------------------------------------------------------------ oversized texts
categories['oversized-texts'] = [
  { name: 'sporsmal-100k', body: sub(fresh(RT), 'migrene', 'x'.repeat(100_000)), expect: ANSWERED05 },
  { name: 'family-name-50k', body: sub(fresh(RT), '<FamilyName>Danser</FamilyName>', `<FamilyName>${'D'.repeat(50_000)}</FamilyName>`), expect: CONTENT },
  { name: 'given-name-50k', body: sub(fresh(RT), '<GivenName>Folke</GivenName>', `<GivenName>${'F'.repeat(50_000)}</GivenName>`), expect: CONTENT },
  { name: 'emne-50k', body: fresh(RT).replace(/<EmneSporsmal[^>]*>[^<]*<\/EmneSporsmal>/, (m) => m.replace(/>[^<]*</, `>${'e'.repeat(50_000)}<`)), expect: ANSWERED05 },
  { name: 'organisation-name-50k', body: sub(fresh(RT), '<OrganisationName>Nanset legekontor</OrganisationName>', `<OrganisationName>${'N'.repeat(50_000)}</OrganisationName>`), expect: { ...ANSWERED05, note: 'the receiver\'s name is not kept: our names come from the registry' } },
  { name: 'msgid-10k', body: RT.replace(/<MsgId>[^<]*<\/MsgId>/, `<MsgId>${'i'.repeat(10_000)}</MsgId>`), expect: CONTENT },
  { name: 'uid-50k', body: sub(fresh(RT), '<text>4088E990AD89CB3DBB484909</text>', `<text>${'u'.repeat(50_000)}</text>`), expect: SLOT06 },
  { name: 'dn-attribute-50k', body: sub(fresh(RT), 'DN="Ja"', `DN="${'j'.repeat(50_000)}"`), expect: ANSWERED05 },
  { name: 'summary-50k', body: sub(fresh(RT), '<uid>', `<summary><text>${'s'.repeat(50_000)}</text></summary><uid>`), expect: ANSWERED05 },
  { name: 'sporsmal-multibyte-40k', body: sub(fresh(RT), 'migrene', 'æøå'.repeat(13_000)), expect: ANSWERED05 },
  { name: 'hlt-patient-name-50k', body: sub(fresh(HLT), '<FamilyName>Danser</FamilyName>', `<FamilyName>${'D'.repeat(50_000)}</FamilyName>`), expect: { ...CONTENT, answer: 'reply 26' } },
];

// ---------------------------------------------------------------------------------- too many VEVENTs
const many = (xml: string, n: number) => sub(fresh(xml), VEVENT, veventOf(RT).repeat(n));
categories['too-many-vevents'] = [
  { name: 'rt-21', body: many(RT, 21), expect: CONTENT },
  { name: 'rt-25', body: many(RT, 25), expect: CONTENT },
  { name: 'rt-50', body: many(RT, 50), expect: CONTENT },
  { name: 'rt-150', body: many(RT, 150), expect: CONTENT },
  { name: 'art-30', body: sub(fresh(ART), VEVENT, veventOf(ART).repeat(30)), expect: CONTENT },
  { name: 'rt-two-vcalendars', body: sub(fresh(RT), /<vcalendar>[\s\S]*<\/vcalendar>/, (/<vcalendar>[\s\S]*<\/vcalendar>/.exec(many(RT, 11)) as RegExpExecArray)[0].repeat(2)), expect: CONTENT },
  { name: 'rt-two-icalendar-documents', body: (() => { const x = many(RT, 11); const doc = (/<Document>(?:(?!<Document>)[\s\S])*?icalendar[\s\S]*?<\/Document>/.exec(x) as RegExpExecArray)[0]; return sub(x, '</MsgHead>', `${doc}</MsgHead>`); })(), expect: CONTENT },
  { name: 'hlt-sync-30', body: sub(fresh(HLT), '</MsgHead>', `${(/<Document>(?:(?!<Document>)[\s\S])*?icalendar[\s\S]*?<\/Document>/.exec(many(RT, 30)) as RegExpExecArray)[0]}</MsgHead>`), expect: { ...CONTENT, answer: 'reply 26' } },
  { name: 'rt-100-empty-vevents', body: sub(fresh(RT), VEVENT, '<vevent><properties/></vevent>'.repeat(100)), expect: T02('empty VEVENTs are schema-invalid, checked before the content limit') },
  { name: 'rt-20-is-allowed', body: many(RT, 20), expect: ANSWERED05 },
  { name: 'rt-200', body: many(RT, 200), expect: CONTENT },
];

// ------------------------------------------------------------------------------ CMS (recipes and bytes)
const CMS_CONDITION: Record<string, string> = {
  ERR_PROTECTION_CMS: 'transport:invalid-cms-pkcs',
  ERR_PROTECTION_DECRYPT: 'transport:decryption-failed',
  ERR_PROTECTION_ALGORITHM: 'transport:unsupported-message',
  ERR_PROTECTION_CERTIFICATE: 'transport:invalid-certificate',
  ERR_PROTECTION_SIGNATURE: 'transport:invalid-signature',
};
const cms = (code: string): Expect => ({ status: 'reported', code, answer: `report ${CMS_CONDITION[code]}`, delivery: { fromHerId: HN, transport: 'amqp' } });
const recipe = (name: string, r: Record<string, unknown>, code: string): Variant => ({ name, recipe: { plaintext: 'rt', signer: 'helsenorge', recipient: 'us', ...r }, expect: cms(code) });

categories['cms-truncated'] = [10, 50, 100, 200, 400, 800, 1200, 1600, 2400, -1].map((n) =>
  recipe(`cut-${n < 0 ? 'last-byte' : `at-${n}`}`, { mutate: { truncate: n } }, 'ERR_PROTECTION_CMS'),
);
categories['cms-truncated'].push(recipe('cut-to-zero-bytes', { mutate: { truncate: 0 } }, 'ERR_PROTECTION_CMS'));

categories['cms-wrong-recipient'] = ['rt', 'hlt', 'art', 'ot'].flatMap((p) => [
  recipe(`${p}-for-helsenorge`, { plaintext: p, recipient: 'helsenorge' }, 'ERR_PROTECTION_DECRYPT'),
]).concat(
  [1, 2, 3, 4, 5, 6].map((i) => recipe(`rt-for-a-stranger-${i}`, { recipient: 'stranger', seed: i }, 'ERR_PROTECTION_DECRYPT')),
);

categories['cms-bad-padding'] = [
  recipe('last-byte-flipped', { mutate: { flipCiphertext: -1 } }, 'ERR_PROTECTION_DECRYPT'),
  recipe('second-last-byte-flipped', { mutate: { flipCiphertext: -2 } }, 'ERR_PROTECTION_DECRYPT'),
  recipe('last-block-zero', { mutate: { zeroLastBlock: true } }, 'ERR_PROTECTION_DECRYPT'),
  recipe('byte-16-from-end', { mutate: { flipCiphertext: -16 } }, 'ERR_PROTECTION_DECRYPT'),
  recipe('byte-17-from-end', { mutate: { flipCiphertext: -17 } }, 'ERR_PROTECTION_DECRYPT'),
  recipe('first-byte', { mutate: { flipCiphertext: 0 } }, 'ERR_PROTECTION_DECRYPT'),
  recipe('encrypted-key-first-byte', { mutate: { flipEncryptedKey: 0 } }, 'ERR_PROTECTION_DECRYPT'),
  recipe('encrypted-key-last-byte', { mutate: { flipEncryptedKey: -1 } }, 'ERR_PROTECTION_DECRYPT'),
  recipe('iv-changed', { mutate: { flipIv: 0 } }, 'ERR_PROTECTION_DECRYPT'),
  recipe('one-block-removed', { mutate: { dropLastBlock: true } }, 'ERR_PROTECTION_DECRYPT'),
  recipe('not-a-block-multiple', { mutate: { dropCiphertextBytes: 3 } }, 'ERR_PROTECTION_DECRYPT'),
];

categories['cms-unsupported-algorithms'] = [
  ['des-ede3-cbc', '1.2.840.113549.3.7', 'content'],
  ['des-cbc', '1.3.14.3.2.7', 'content'],
  ['rc2-cbc', '1.2.840.113549.3.2', 'content'],
  ['aes-256-gcm', '2.16.840.1.101.3.4.1.46', 'content'],
  ['digest-sha1', '1.3.14.3.2.26', 'digest'],
  ['digest-md5', '1.2.840.113549.2.5', 'digest'],
  ['digest-sha224', '2.16.840.1.101.3.4.2.4', 'digest'],
  ['signature-sha1-rsa', '1.2.840.113549.1.1.5', 'signature'],
  ['signature-md5-rsa', '1.2.840.113549.1.1.4', 'signature'],
  ['key-transport-unknown', '1.2.840.113549.1.1.99', 'keyTransport'],
].map(([name, oidText, where]) => recipe(name as string, { mutate: { replaceOid: { where, oid: oidText } } }, 'ERR_PROTECTION_ALGORITHM'));

categories['cms-signer-not-in-registry'] = [
  recipe('signed-by-us-claims-helsenorge', { signer: 'us' }, 'ERR_PROTECTION_CERTIFICATE'),
  recipe('signed-by-helsenorge-encryption-key', { signer: 'helsenorge-encryption' }, 'ERR_PROTECTION_CERTIFICATE'),
  recipe('signed-by-a-stranger', { signer: 'stranger' }, 'ERR_PROTECTION_CERTIFICATE'),
  recipe('signed-by-a-stranger-no-certs', { signer: 'stranger', includeCertificates: false }, 'ERR_PROTECTION_CERTIFICATE'),
  recipe('signed-by-us-no-certs', { signer: 'us', includeCertificates: false }, 'ERR_PROTECTION_CERTIFICATE'),
  { ...recipe('claims-party-without-certificate', {}, 'ERR_PROTECTION_CERTIFICATE'), expect: { ...cms('ERR_PROTECTION_CERTIFICATE'), delivery: { fromHerId: 8130047, transport: 'amqp' } } },
  { ...recipe('claims-our-own-herid', {}, 'ERR_PROTECTION_CERTIFICATE'), expect: { ...cms('ERR_PROTECTION_CERTIFICATE'), delivery: { fromHerId: 91095, transport: 'amqp' } } },
  { ...recipe('claims-unknown-herid', {}, 'ERR_PROTECTION_CERTIFICATE'), expect: { ...cms('ERR_PROTECTION_CERTIFICATE'), delivery: { fromHerId: 7777777, transport: 'amqp' } } },
  recipe('hlt-signed-by-us', { plaintext: 'hlt', signer: 'us' }, 'ERR_PROTECTION_CERTIFICATE'),
  recipe('ot-signed-by-stranger', { plaintext: 'ot', signer: 'stranger' }, 'ERR_PROTECTION_CERTIFICATE'),
];

// BER bombs: fail in the DER reader before any key is used, so frozen bytes.
const tlv = (tag: number, content: Buffer) => Buffer.concat([Buffer.from([tag]), derLen(content.length), content]);
function derLen(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const indefiniteNest = (depth: number) => Buffer.concat([Buffer.alloc(depth * 2, 0).map((_, i) => (i % 2 === 0 ? 0x30 : 0x80)), Buffer.alloc(depth * 2, 0)]);
let definiteNest = Buffer.alloc(0);
for (let i = 0; i < 5000; i++) definiteNest = tlv(0x30, definiteNest);
const manyNulls = tlv(0x30, Buffer.from(Buffer.alloc(120_000, 0).map((_, i) => (i % 2 === 0 ? 0x05 : 0x00))));
let nestedOctets = Buffer.from([0x04, 0x01, 0x41]);
for (let i = 0; i < 40; i++) nestedOctets = tlv(0x24, nestedOctets);
const envelopedOid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03]);
const ber = (name: string, body: Buffer): Variant => ({ name, body, ext: 'der', expect: cms('ERR_PROTECTION_CMS') });
categories['cms-ber-bombs'] = [
  ber('indefinite-nesting-10000', indefiniteNest(10_000)),
  ber('definite-nesting-5000', definiteNest),
  ber('sixty-thousand-nulls', manyNulls),
  ber('length-4gb', Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x05, 0x00])),
  ber('length-of-length-9', Buffer.from([0x30, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x00])),
  ber('indefinite-without-end', Buffer.concat([Buffer.from([0x30, 0x80]), envelopedOid])),
  ber('indefinite-primitive', Buffer.from([0x04, 0x80, 0x41, 0x00, 0x00])),
  ber('nested-octet-segments-40', tlv(0x30, Buffer.concat([envelopedOid, tlv(0xa0, nestedOctets)]))),
  ber('tag-number-5-bytes', Buffer.from([0x1f, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00])),
  ber('trailing-bytes', Buffer.concat([tlv(0x30, envelopedOid), Buffer.from([0x00, 0x00, 0xff])])),
  ber('oid-64k-arcs', tlv(0x30, tlv(0x06, Buffer.alloc(60_000, 0x81)))),
  ber('enveloped-with-nested-sets', tlv(0x30, Buffer.concat([envelopedOid, tlv(0xa0, indefiniteNest(40))]))),
];

// ---------------------------------------------------------------------------------------------- write
rmSync(OUT, { recursive: true, force: true, maxRetries: 2 });
let total = 0;
const counts: Record<string, number> = {};
for (const [category, variants] of Object.entries(categories)) {
  const dir = join(OUT, category);
  mkdirSync(dir, { recursive: true });
  variants.forEach((v, i) => {
    const base = `${String(i + 1).padStart(2, '0')}-${v.name}`;
    if (v.recipe) {
      writeFileSync(join(dir, `${base}.recipe.json`), `${JSON.stringify(v.recipe, null, 2)}\n`);
    } else {
      writeFileSync(join(dir, `${base}.${v.ext ?? 'xml'}`), v.body as string | Buffer);
    }
    writeFileSync(join(dir, `${base}.expect.json`), `${JSON.stringify(v.expect, null, 2)}\n`);
  });
  counts[category] = variants.length;
  total += variants.length;
}
console.log(JSON.stringify({ total, counts }));
