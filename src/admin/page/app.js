// The staff page: plain JavaScript on the admin API (docs/admin.md). The token stays in this tab's
// sessionStorage; every call says it comes from the page (X-Timebok-Client), so reads of patient data
// are access-logged as such.
const $ = (sel) => document.querySelector(sel);
const state = { token: sessionStorage.getItem('timebok-token') || '' };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

function say(text, error = false) {
  const s = $('#status');
  s.textContent = text;
  s.classList.toggle('error', error);
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${state.token}`, 'x-timebok-client': 'page', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401) {
    logout();
    throw new Error('Tilgangsnøkkelen er ikke gyldig.');
  }
  if (!res.ok) throw new Error(data?.problem ? `${data.field ? `${data.field}: ` : ''}${data.problem}` : data?.message || `feil ${res.status}`);
  return data;
}

function dl(pairs) {
  return el('dl', {}, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function outboxText(result) {
  if (!result.changed) return `Ingenting å gjøre: ${result.note}`;
  return `${result.note}. ${result.outbox.map((o) => `${o.kind} ${o.code} lagt i utboksen`).join(', ')}`;
}

// ------------------------------------------------------------------------------------------- tabs
const TABS = ['week', 'requests', 'wishes', 'appointment', 'trail'];
function show(name, focus = true) {
  for (const t of TABS) {
    const on = t === name;
    $(`#tab-${t}`).setAttribute('aria-selected', String(on));
    $(`#tab-${t}`).tabIndex = on ? 0 : -1;
    $(`#view-${t}`).hidden = !on;
  }
  if (focus) $(`#tab-${name}`).focus();
  if (name === 'requests') loadRequests();
  if (name === 'wishes') loadWishes();
}
for (const t of TABS) {
  $(`#tab-${t}`).addEventListener('click', () => show(t));
  $(`#tab-${t}`).addEventListener('keydown', (e) => {
    const i = TABS.indexOf(t);
    if (e.key === 'ArrowRight') show(TABS[(i + 1) % TABS.length]);
    else if (e.key === 'ArrowLeft') show(TABS[(i + TABS.length - 1) % TABS.length]);
    else return;
    e.preventDefault();
  });
}

// ------------------------------------------------------------------------------------------ login
async function login(token) {
  state.token = token;
  try {
    const me = await api('GET', '/api/whoami');
    sessionStorage.setItem('timebok-token', token);
    $('#who').textContent = `Innlogget som ${me.name} (${me.role === 'operator' ? 'drift' : 'ekspedisjon'})`;
    $('#login').hidden = true;
    $('#app').hidden = false;
    await loadBooks();
    show('week', false);
    $('#tab-week').focus();
  } catch (err) {
    say(err.message, true);
    $('#login').hidden = false;
    $('#token').focus();
  }
}
function logout() {
  sessionStorage.removeItem('timebok-token');
  state.token = '';
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#who').textContent = '';
}
$('#login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  login($('#token').value.trim());
  $('#token').value = '';
});
$('#logout').addEventListener('click', () => {
  logout();
  $('#token').focus();
});

// ------------------------------------------------------------------------------------------- week
const WEEKDAY = ['søn', 'man', 'tir', 'ons', 'tor', 'fre', 'lør'];
const STATE = { free: 'ledig', requested: 'forespurt', booked: 'booket', full: 'fullt', blocked: 'sperret' };

async function loadBooks() {
  const { timebooks } = await api('GET', '/api/timebooks');
  const select = $('#book');
  select.replaceChildren(...timebooks.filter((b) => !b.retired).map((b) => el('option', { value: b.id }, `${b.name}${b.published ? '' : ' (ikke publisert)'}`)));
  if (!$('#week-start').value) $('#week-start').value = new Date().toISOString().slice(0, 10);
}

async function loadWeek() {
  const book = $('#book').value;
  const from = $('#week-start').value;
  if (!book || !from) return;
  const { slots } = await api('GET', `/api/timebooks/${encodeURIComponent(book)}/slots?from=${from}&days=7`);
  const days = new Map();
  for (let i = 0; i < 7; i++) {
    const d = new Date(`${from}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + i);
    days.set(d.toISOString().slice(0, 10), []);
  }
  for (const s of slots) days.get(s.localStart.slice(0, 10))?.push(s);
  $('#week').replaceChildren(
    ...[...days.entries()].map(([date, list]) => {
      const wd = WEEKDAY[new Date(`${date}T12:00:00Z`).getUTCDay()];
      return el(
        'section',
        { class: 'day', 'aria-label': `${wd} ${date}` },
        el('h3', {}, `${wd} ${date.slice(8)}.${date.slice(5, 7)}`),
        list.length === 0
          ? el('p', {}, 'Ingen timer')
          : el('ul', {}, list.map((s) => el('li', {},
              el('span', { class: `slot ${s.state}`, title: s.id }, `${s.localStart.slice(11, 16)} ${STATE[s.state]}${s.capacity > 1 ? ` ${s.booked}/${s.capacity}` : ''}`),
              s.appointments.map((a, i) => el('button', { type: 'button', class: 'link', 'aria-label': `Avtale ${s.localStart.slice(11, 16)}${s.appointments.length > 1 ? ` nr. ${i + 1}` : ''}`, onclick: () => openAppointment(a.id) }, 'avtale')),
            ))),
      );
    }),
  );
}
$('#week-form').addEventListener('submit', (e) => {
  e.preventDefault();
  loadWeek().catch((err) => say(err.message, true));
});
for (const [id, delta] of [['#prev-week', -7], ['#next-week', 7]]) {
  $(id).addEventListener('click', () => {
    const d = new Date(`${$('#week-start').value}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + delta);
    $('#week-start').value = d.toISOString().slice(0, 10);
    loadWeek().catch((err) => say(err.message, true));
  });
}

// --------------------------------------------------------------------------------------- requests
async function loadRequests() {
  try {
    const { requests } = await api('GET', '/api/requests');
    $('#requests').replaceChildren(
      requests.length === 0
        ? el('p', {}, 'Ingen forespørsler venter.')
        : el('ul', { class: 'plain' }, requests.map((r) => el('li', { class: 'card', 'aria-label': `Forespørsel ${r.localStart.replace('T', ' ').slice(0, 16)}` }, requestCard(r)))),
    );
  } catch (err) {
    say(err.message, true);
  }
}
function requestCard(r) {
  const text = el('input', { id: `text-${r.id}`, name: 'text', maxlength: '1000' });
  const decide = (path, body, label) => async () => {
    try {
      const result = await api('POST', `/api/requests/${encodeURIComponent(r.id)}/${path}`, { ...body, ...(text.value ? { text: text.value } : {}) });
      say(`${label}: ${outboxText(result)}`);
      await loadRequests();
      $('#reload-requests').focus();
    } catch (err) {
      say(err.message, true);
    }
  };
  return [
    dl([
      ['Timebok', r.bookName],
      ['Tid', `${r.localStart.replace('T', ' ').slice(0, 16)}–${r.localEnd.slice(11, 16)}`],
      ['Pasient', r.patientId],
      ['Mottatt', r.receivedAt.replace('T', ' ').slice(0, 16)],
      ['Merknad', [r.onBehalf ? 'på vegne av' : null, r.hasQuestion ? 'har spørsmål' : null].filter(Boolean).join(', ')],
      ['Id', r.id],
    ]),
    el('div', { class: 'actions' },
      el('label', { for: `text-${r.id}` }, 'Tekst til innbygger (valgfritt)'), text,
      el('button', { type: 'button', class: 'primary', onclick: decide('confirm', {}, 'Bekreftet') }, 'Bekreft'),
      el('button', { type: 'button', onclick: decide('reject', {}, 'Avvist') }, 'Avvis'),
      el('button', { type: 'button', onclick: decide('reject', { gone: true }, 'Avvist (timen er borte)') }, 'Avvis: timen er borte'),
    ),
  ];
}
$('#reload-requests').addEventListener('click', loadRequests);

// ----------------------------------------------------------------------------------------- wishes
async function loadWishes() {
  try {
    const { wishes } = await api('GET', '/api/wishes?text=true');
    $('#wishes').replaceChildren(
      wishes.length === 0 ? el('p', {}, 'Ingen åpne timeønsker.') : el('ul', { class: 'plain' }, wishes.map((w) => el('li', { class: 'card' }, wishCard(w)))),
    );
  } catch (err) {
    say(err.message, true);
  }
}
function wishCard(w) {
  const code = el('select', { id: `code-${w.id}` }, w.allowedAnswers.map((c) => el('option', { value: c }, c)));
  const slot = el('input', { id: `slot-${w.id}`, placeholder: 'bok@2026-01-05T08:00' });
  const text = el('input', { id: `wtext-${w.id}`, maxlength: '1000' });
  const answer = async () => {
    try {
      const body = { code: code.value, ...(slot.value ? { slotId: slot.value.trim() } : {}), ...(text.value ? { text: text.value } : {}) };
      const result = await api('POST', `/api/wishes/${encodeURIComponent(w.id)}/answer`, body);
      say(`Svar ${code.value}: ${outboxText(result)}`);
      await loadWishes();
      $('#reload-wishes').focus();
    } catch (err) {
      say(err.message, true);
    }
  };
  return [
    dl([
      ['Ønske', w.functionCode],
      ['Pasient', w.patientId],
      ['Periode', w.fromDate || w.toDate ? `${w.fromDate ?? '…'}–${w.toDate ?? '…'}` : ''],
      ['Gjelder', w.reference?.dtstart ?? ''],
      ['Emne', w.emneSporsmal ?? ''],
      ['Spørsmål', w.sporsmal ?? ''],
      ['Id', w.id],
    ]),
    el('div', { class: 'actions' },
      el('label', { for: `code-${w.id}` }, 'Svar'), code,
      el('label', { for: `slot-${w.id}` }, 'Time (ved 05/07/10)'), slot,
      el('label', { for: `wtext-${w.id}` }, 'Tekst (valgfritt)'), text,
      el('button', { type: 'button', class: 'primary', onclick: answer }, 'Send svar'),
    ),
  ];
}
$('#reload-wishes').addEventListener('click', loadWishes);

// ------------------------------------------------------------------------- appointment and trail
async function openAppointment(id) {
  show('appointment');
  $('#appointment-id').value = id;
  await loadAppointment();
}
$('#appointment-form').addEventListener('submit', (e) => {
  e.preventDefault();
  loadAppointment();
});
async function loadAppointment() {
  try {
    const { appointment: a, history } = await api('GET', `/api/appointments/${encodeURIComponent($('#appointment-id').value.trim())}`);
    $('#appointment').replaceChildren(
      el('div', { class: 'card' },
        dl([['Status', a.status], ['Timebok', a.bookId], ['Tid', `${a.start.replace('T', ' ').slice(0, 16)}–${a.end.slice(11, 16)}`], ['Pasient', a.patientId], ['Navn', a.patientName ?? ''], ['Kilde', a.origin === 'desk' ? 'ekspedisjonen' : 'Helsenorge']]),
        el('h3', {}, 'Historikk'),
        el('ol', {}, history.map((h) => el('li', {}, `${(h.at ?? '').replace('T', ' ').slice(0, 19)} ${h.what} `, h.msgId ? el('button', { type: 'button', class: 'link', 'aria-label': `Meldingsspor for ${h.what}`, onclick: () => openTrail(h.msgId) }, 'spor') : null))),
      ),
    );
  } catch (err) {
    say(err.message, true);
  }
}

async function openTrail(msgId) {
  show('trail');
  $('#msg-id').value = msgId;
  await loadTrail();
}
async function loadTrail() {
  try {
    const t = await api('GET', `/api/messages/${encodeURIComponent($('#msg-id').value.trim())}/trail`);
    $('#trail').replaceChildren(...t.steps.map((s) => el('li', {}, el('strong', {}, s.stage), ` ${(s.at ?? '').replace('T', ' ').slice(0, 19)} `, s.summary)));
  } catch (err) {
    say(err.message, true);
  }
}
$('#trail-form').addEventListener('submit', (e) => {
  e.preventDefault();
  loadTrail();
});

if (state.token) login(state.token);
else $('#token').focus();
