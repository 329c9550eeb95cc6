import type { XmlElement } from './xml.writer.js';
import type { CalendarEntry } from '../timebook/types.js';
import type { VEvent } from '../envelope/types.js';
import { NS, PRODID } from './namespaces.js';

/** A VEVENT to write: a domain entry, or a request's VEVENT echoed back (docs/decisions.md §29). */
export type OutboundEvent = CalendarEntry | VEvent;

/** Appends an xCal `icalendar` with one VEVENT per entry (protocol §8). */
export function appendXcal(content: XmlElement, events: OutboundEvent[]): void {
  const cal = content.ele(NS.xcal, 'icalendar').ele('vcalendar');
  const props = cal.ele('properties');
  props.ele('version').ele('text').txt('2.0');
  props.ele('prodid').ele('text').txt(PRODID);
  const comps = cal.ele('components');
  for (const e of events) appendVevent(comps, e);
}

function appendVevent(comps: XmlElement, e: OutboundEvent): void {
  const v = comps.ele('vevent');
  const p = v.ele('properties');
  // Order follows iCalendar-props.xsd's sequence for VEVENT properties.
  if (e.dtstart) p.ele('dtstart').ele('date-time').txt(e.dtstart);
  if (e.dtend) p.ele('dtend').ele('date-time').txt(e.dtend);
  if (e.uid) p.ele('uid').ele('text').txt(e.uid);
  if (e.relatedTo) p.ele('related-to').ele('uri').txt(e.relatedTo);
  if (e.contact !== undefined && e.contact !== null) p.ele('contact').ele('text').txt(String(e.contact).trim());
  if (e.categories.length > 0) {
    const c = p.ele('categories');
    for (const cat of e.categories) c.ele('text').txt(cat);
  }
  if (e.summary) p.ele('summary').ele('text').txt(e.summary);
  if (e.description) p.ele('description').ele('text').txt(e.description);
  if (e.location) p.ele('location').ele('text').txt(e.location);
  if (e.status) p.ele('status').ele('text').txt(e.status);
  v.ele('components');
}
