/**
 * Code lists used by the Helsenorge booking processes, with display names (DN) spelled as the protocol
 * specification (§12) and the Volven code lists spell them. Sources: the protocol specification
 * §§ 4–12, Hdir's kodeverk display file (`visningsfil/felleskomponenter/kodeverk.xsl`, 2018-10-15) for 8221,
 * 8258 and 8279, and the 2019 example messages for codes only they use.
 */

/** OIDs written in the `S` attribute of coded values. */
export const OID = {
  /** 8279 Meldingens funksjon (MsgInfo/Type). */
  process: '2.16.578.1.12.4.1.1.8279',
  /** 7601 Forespørsler (TypeForesp in requests). */
  requests: '2.16.578.1.12.4.1.1.7601',
  /** 7602 Svar (TemaKodet in replies; TypeForesp in the Avtale push). */
  replies: '2.16.578.1.12.4.1.1.7602',
  /** 1101 Ja/Nei (KodetOpplysning). */
  yesNo: '2.16.578.1.12.4.1.1.1101',
  /** 7611 Representasjonsrolle (Pasientrelasjon/Relasjon). */
  representation: '2.16.578.1.12.4.1.1.7611',
  /** 7617 Timetype Innbyggerportal (written without system in xCal categories). */
  timeTypes: '2.16.578.1.12.4.1.1.7617',
  /** 9034 Helsepersonells rolle (RoleToPatient). */
  roles: '2.16.578.1.12.4.1.1.9034',
  /** 8116 ID-type for personer (FNR, DNR, HPR, HER for persons). */
  personIdTypes: '2.16.578.1.12.4.1.1.8116',
  /** 9051 ID-type for organisasjoner (HER, ENH, LOK). */
  organisationIdTypes: '2.16.578.1.12.4.1.1.9051',
  /** 8114 RefDoc/MsgType. */
  docTypes: '2.16.578.1.12.4.1.1.8114',
  /** 8221 Feil i applikasjonskvittering. */
  appRecErrors: '2.16.578.1.12.4.1.1.8221',
  /** 8258 Status for applikasjonskvittering. */
  appRecStatus: '2.16.578.1.12.4.1.1.8258',
} as const;

/** Process values in MsgInfo/Type/@V (8279) that Timebok reads or writes. */
export type ProcessCode =
  | 'DIALOG_INNBYGGER_TIMERESERVASJON'
  | 'DIALOG_INNBYGGER_TIMEONSKE'
  | 'DIALOG_INNBYGGER_TIMEONSKEUNGDOM'
  | 'DIALOG_INNBYGGER_AVTALEUTSENDING'
  | 'DIALOG_INNBYGGER_AVTALEAVBESTILLING'
  | 'DIALOG_INNBYGGER_BEHANDLEROVERSIKT'
  | 'DIALOG_INNBYGGER_HENT_BEHANDLER'
  | 'DIALOG_INNBYGGER_TIMER'
  | 'APPREC';

/**
 * Display names for our outbound MsgInfo/Type. Written with " - " as the guide and the 2019 examples do
 * (kodeverk 8279 itself writes an en dash, "Dialog med innbygger – timereservasjon"). The AVTALEAVBESTILLING,
 * TIMEONSKEUNGDOM and BEHANDLEROVERSIKT names are inferred from their pattern (spec §10.6, §10.8, §10.9).
 */
export const PROCESSES: Readonly<Record<ProcessCode, string>> = {
  DIALOG_INNBYGGER_TIMERESERVASJON: 'Dialog med innbygger - timereservasjon',
  DIALOG_INNBYGGER_TIMEONSKE: 'Dialog med innbygger - timeønske',
  DIALOG_INNBYGGER_TIMEONSKEUNGDOM: 'Dialog med innbygger - timeønske ungdom',
  DIALOG_INNBYGGER_AVTALEUTSENDING: 'Dialog med innbygger - avtaleutsending',
  DIALOG_INNBYGGER_AVTALEAVBESTILLING: 'Dialog med innbygger - avtaleavbestilling',
  DIALOG_INNBYGGER_BEHANDLEROVERSIKT: 'Dialog med innbygger - behandleroversikt',
  DIALOG_INNBYGGER_HENT_BEHANDLER: 'Benyttes til prosess for å hente behandler',
  DIALOG_INNBYGGER_TIMER: 'Dialog med innbygger om timer',
  APPREC: 'Applikasjonskvittering',
};

/** Known misspellings of process values, accepted on input only (docs/decisions.md §11). */
export const PROCESS_ALIASES: Readonly<Record<string, ProcessCode>> = {
  DIALOG_INNBYGGER_AVTALEBESTILLING: 'DIALOG_INNBYGGER_AVTALEAVBESTILLING',
};

/** One 7601 request code: its display name and whether the function is answered synchronously. */
export interface RequestCode {
  dn: string;
  /** HLT, HBT and HB are synchronous; everything else is asynchronous (docs/decisions.md §3). */
  sync: boolean;
}

/** 7601 Forespørsler. HE and OAB occur only in the DIALOG_INNBYGGER_TIMER examples. */
export const REQUEST_CODES: Readonly<Record<string, RequestCode>> = {
  HLT: { dn: 'Hent ledige timer', sync: true },
  HBT: { dn: 'Hent bestilte timer', sync: true },
  HB: { dn: 'Hent behandlere', sync: true },
  RT: { dn: 'Reserver time', sync: false },
  ART: { dn: 'Avbestill reservert time', sync: false },
  ERT: { dn: 'Endre reservert time', sync: false },
  OT: { dn: 'Ønske om time', sync: false },
  OET: { dn: 'Ønske om endring av time', sync: false },
  OAT: { dn: 'Ønske om avbestilling av time', sync: false },
  MOA: { dn: 'Melding om avtale', sync: false },
  HE: { dn: 'Henvendelse', sync: false },
  OAB: { dn: 'Ønske om avslutning av behandlingsforløp', sync: false },
};

/** 7602 Svar. 19, 35 and 36 occur only in the DIALOG_INNBYGGER_TIMER examples. */
export const REPLY_CODES: Readonly<Record<string, string>> = {
  '01': 'Bestilte timer',
  '02': 'Ingen bestilte timer',
  '03': 'Ledige timer',
  '04': 'Ingen ledige timer',
  '05': 'Timereservasjon bekreftet',
  '06': 'Time ikke tilgjengelig',
  '07': 'Endring av time bekreftet',
  '08': 'Avbestilling av time bekreftet',
  '09': 'Time kunne ikke avbestilles',
  '10': 'Timereservasjon hos annen behandler bekreftet',
  '11': 'Pasient ikke møtt',
  '19': 'Svar på henvendelse',
  '20': 'Behandlere',
  '21': 'Behandlere ikke funnet',
  '26': 'Forespørsel avvist',
  '30': 'Ikke tilgang',
  '31': 'Generell feil',
  '33': 'Tjeneste tilbys ikke',
  '34': 'Time kunne ikke endres',
  '35': 'Avslutning av behandlingsforløp bekreftet',
  '36': 'Behandlingsforløp kunne ikke avsluttes',
};

/** 8221 AppRec error codes Timebok sends or may receive (DNs from kodeverk 8221). */
export const APPREC_ERRORS: Readonly<Record<string, string>> = {
  T01: "Ikke XML / ikke 'well formed' / uleselig",
  T02: 'XML validerer ikke',
  T10: 'Støtter ikke meldingsformatet',
  T99: 'Annen feil på format',
  E10: 'Ugyldig meldingsidentifikator',
  E20: 'Lege finnes ikke',
  E21: 'Mottaker finnes ikke',
  E30: 'Pasientens fødselsnummer mangler',
  E31: 'Pasientens fødselsnummer er feil',
  E32: 'Pasientens navn mangler',
  E35: 'Pasienten finnes ikke i mottakersystemet',
  S01: 'Feil på signatur',
  S02: 'Ugyldig sertifikat',
  S03: 'Tilbaketrukket sertifikat',
  X99: 'Annen feil',
};

/** 8258 AppRec status. */
export const APPREC_STATUS: Readonly<Record<'1' | '2' | '3', string>> = {
  '1': 'OK',
  '2': 'Avvist',
  '3': 'OK, feil i delmelding',
};

/** 1101 Ja/Nei (KodetOpplysning: accepts an appointment with another practitioner). */
export const YES_NO: Readonly<Record<'1' | '2', string>> = { '1': 'Ja', '2': 'Nei' };

/** 7611 Representasjonsrolle (TD added in the 2023 version of the list). */
export const REPRESENTATION_ROLES: Readonly<Record<'FO' | 'VE' | 'FU' | 'TD', string>> = {
  FO: 'Foreldreansvar',
  VE: 'Vergemål',
  FU: 'Fullmakt',
  TD: 'Tildelt fullmakt',
};

/** 9034 Helsepersonells rolle, the values seen in booking (9 occurs in the TIMER examples). */
export const ROLES: Readonly<Record<string, string>> = {
  '6': 'Fastlege',
  '9': 'Primærkontakt',
  '15': 'Vikar for fastlege',
  '16': 'Turnuslege',
  '22': 'Kontakt i primærhelseteam',
  '23': 'Ønsket behandler',
};

/**
 * Appointment and resource types written in xCal `categories` (7617 values, written without system),
 * plus `Telefon` (a slot type of ours that is not in the list we have seen). `Ordinær` is never written
 * (docs/decisions.md §24). The full 7617 list was not found (spec §14).
 */
export const TIME_TYPES = [
  'Ordinær',
  'Hastetime',
  'Video',
  'Tidsvindu',
  'Gruppe',
  'Vaksine',
  'Lab',
  'Koronatest',
  'Koronavaksine',
  'Konsultasjon',
  'Telefon',
] as const;
export type TimeType = (typeof TIME_TYPES)[number];

/** `categories` value for a slot that is listed but must be booked by phone (spec §8.1). */
export const MUST_CALL_CATEGORY = 'MustCall';

/** 8116 (persons) and 9051 (organisations) identifier types. */
export const PERSON_ID_TYPES = { FNR: 'Fødselsnummer', DNR: 'D-nummer', HPR: 'HPR-nummer', HER: 'HER-id' } as const;
export const ORGANISATION_ID_TYPES = { HER: 'HER-id', ENH: 'Organisasjonsnummeret i Enhetsregister' } as const;

/** 8114 RefDoc/MsgType. */
export const DOC_TYPES = { XML: 'XML-instans', A: 'Vedlegg' } as const;

const key = (code: string): string => code.trim().toUpperCase();

/**
 * Normalises MsgInfo/Type/@V for comparison: trimmed, upper case (AR spellings such as
 * `Dialog_Innbygger_Timereservasjon` match, docs/decisions.md §12) and known aliases mapped (docs/decisions.md §11).
 */
export function normaliseProcess(value: string): string {
  const upper = key(value);
  return PROCESS_ALIASES[upper] ?? upper;
}

/** True for the functions answered synchronously (HLT, HBT, HB; docs/decisions.md §3). Unknown codes are async. */
export function isSyncFunction(code: string): boolean {
  return REQUEST_CODES[key(code)]?.sync ?? false;
}

/** True when the code is a 7601 request code (as opposed to a 7602 reply code). */
export function isRequestCode(code: string): boolean {
  return REQUEST_CODES[key(code)] !== undefined;
}

/** DN for an 8279 process value (aliases normalised); the value itself when unknown. */
export function processDisplayName(process: string): string {
  return PROCESSES[normaliseProcess(process) as ProcessCode] ?? process;
}

/** DN for a 7601 request code; the code itself when unknown. */
export function requestCodeDisplayName(code: string): string {
  return REQUEST_CODES[key(code)]?.dn ?? code;
}

/** DN for a 7602 reply code; the code itself when unknown. */
export function replyCodeDisplayName(code: string): string {
  return REPLY_CODES[code.trim()] ?? code;
}

/** Alias of {@link replyCodeDisplayName}. */
export const replyCodeDn = replyCodeDisplayName;

/** DN for an 8221 AppRec error code; the code itself when unknown. */
export function appRecErrorDisplayName(code: string): string {
  return APPREC_ERRORS[key(code)] ?? code;
}

/** DN for an 8258 AppRec status; the value itself when unknown. */
export function appRecStatusDisplayName(status: string): string {
  return APPREC_STATUS[status.trim() as '1' | '2' | '3'] ?? status;
}
