import {
  APPREC_ERRORS,
  APPREC_STATUS,
  appRecErrorDisplayName,
  isRequestCode,
  isSyncFunction,
  normaliseProcess,
  processDisplayName,
  REPLY_CODES,
  replyCodeDisplayName,
  replyCodeDn,
  REPRESENTATION_ROLES,
  REQUEST_CODES,
  requestCodeDisplayName,
} from '../../../src/envelope/codes.js';
import { ERROR_TABLE } from '../../../src/shared/errors.js';

describe('code lists', () => {
  it('answers HLT, HBT and HB synchronously and every other function asynchronously', () => {
    const sync = Object.keys(REQUEST_CODES).filter(isSyncFunction);
    expect(sync.sort()).toEqual(['HB', 'HBT', 'HLT']);
    expect(isSyncFunction(' hlt ')).toBe(true);
    expect(isSyncFunction('RT')).toBe(false);
    expect(isSyncFunction('unknown')).toBe(false);
  });

  it('spells the 7602 reply codes as the specification does', () => {
    expect(REPLY_CODES).toMatchObject({
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
      '20': 'Behandlere',
      '21': 'Behandlere ikke funnet',
      '26': 'Forespørsel avvist',
      '30': 'Ikke tilgang',
      '31': 'Generell feil',
      '33': 'Tjeneste tilbys ikke',
      '34': 'Time kunne ikke endres',
    });
    expect(replyCodeDn('26')).toBe('Forespørsel avvist');
    expect(replyCodeDisplayName('99')).toBe('99');
  });

  it('spells the 7601 request codes used in booking', () => {
    expect(requestCodeDisplayName('HLT')).toBe('Hent ledige timer');
    expect(requestCodeDisplayName('HBT')).toBe('Hent bestilte timer');
    expect(requestCodeDisplayName('RT')).toBe('Reserver time');
    expect(requestCodeDisplayName('ART')).toBe('Avbestill reservert time');
    expect(requestCodeDisplayName('OT')).toBe('Ønske om time');
    expect(requestCodeDisplayName('MOA')).toBe('Melding om avtale');
    expect(isRequestCode('MOA')).toBe(true);
    expect(isRequestCode('05')).toBe(false);
  });

  it('has a display name for every AppRec code the error table can send', () => {
    const codes = Object.values(ERROR_TABLE).flatMap((rule) => (rule.appRecCode ? [rule.appRecCode] : []));
    for (const code of codes) expect(APPREC_ERRORS[code]).toBeDefined();
    expect(appRecErrorDisplayName('T01')).toBe("Ikke XML / ikke 'well formed' / uleselig");
    expect(appRecErrorDisplayName('T02')).toBe('XML validerer ikke');
    expect(appRecErrorDisplayName('T10')).toBe('Støtter ikke meldingsformatet');
    expect(appRecErrorDisplayName('E10')).toBe('Ugyldig meldingsidentifikator');
    expect(appRecErrorDisplayName('E21')).toBe('Mottaker finnes ikke');
    expect(appRecErrorDisplayName('E31')).toBe('Pasientens fødselsnummer er feil');
    expect(appRecErrorDisplayName('E35')).toBe('Pasienten finnes ikke i mottakersystemet');
    expect(appRecErrorDisplayName('X99')).toBe('Annen feil');
    expect(APPREC_STATUS).toEqual({ '1': 'OK', '2': 'Avvist', '3': 'OK, feil i delmelding' });
  });

  it('knows the representation roles including TD', () => {
    expect(REPRESENTATION_ROLES).toEqual({ FO: 'Foreldreansvar', VE: 'Vergemål', FU: 'Fullmakt', TD: 'Tildelt fullmakt' });
  });

  it('normalises process values: case, whitespace and the AVTALEBESTILLING typo', () => {
    expect(normaliseProcess('Dialog_Innbygger_Timereservasjon')).toBe('DIALOG_INNBYGGER_TIMERESERVASJON');
    expect(normaliseProcess(' DIALOG_INNBYGGER_AVTALEBESTILLING')).toBe('DIALOG_INNBYGGER_AVTALEAVBESTILLING');
    expect(normaliseProcess('DIALOG_INNBYGGER_TIMEONSKE')).toBe('DIALOG_INNBYGGER_TIMEONSKE');
  });

  it('gives display names for our outbound process types', () => {
    expect(processDisplayName('DIALOG_INNBYGGER_TIMERESERVASJON')).toBe('Dialog med innbygger - timereservasjon');
    expect(processDisplayName('DIALOG_INNBYGGER_AVTALEAVBESTILLING')).toBe('Dialog med innbygger - avtaleavbestilling');
    expect(processDisplayName('DIALOG_INNBYGGER_TIMEONSKE')).toBe('Dialog med innbygger - timeønske');
    expect(processDisplayName('DIALOG_INNBYGGER_AVTALEUTSENDING')).toBe('Dialog med innbygger - avtaleutsending');
    expect(processDisplayName('APPREC')).toBe('Applikasjonskvittering');
  });
});
