/** XML namespaces Timebok writes. */
export const NS = {
  msghead: 'http://www.kith.no/xmlstds/msghead/2006-05-24',
  dialog: 'http://www.kith.no/xmlstds/dialog/2013-01-23',
  fk1: 'http://www.kith.no/xmlstds/felleskomponent1',
  xcal: 'urn:ietf:params:xml:ns:icalendar-2.0',
  apprec: 'http://www.kith.no/xmlstds/apprec/2012-02-15',
  helsepersonell: 'http://www.kith.no/xmlstds/helsepersonell/2015-05-04',
} as const;

export const OID = {
  herOrg: '2.16.578.1.12.4.1.1.9051',
  personId: '2.16.578.1.12.4.1.1.8116',
  requests: '2.16.578.1.12.4.1.1.7601',
  replies: '2.16.578.1.12.4.1.1.7602',
  roles: '2.16.578.1.12.4.1.1.9034',
  appRecErrors: '2.16.578.1.12.4.1.1.8221',
} as const;

/** Product id written in xCal `prodid`. */
export const PRODID = 'Timebok';
