// app.js - ledgerd's read-only web view (GET /ui/): the timeline of every
// environment, and an entry with its payload and its inclusion proof
// verified here, in the browser, against the signed checkpoint and the
// log's public key the user gives (ledger.pub, kept in localStorage).
//
// Every value an entry holds is attacker-controlled text: it is written
// with textContent or as an SVG <title>'s text, never as markup.
'use strict';

const DAY = 24 * 3600 * 1000;
const EXCEPTIONS = ['unapproved', 'late-approval', 'rejected', 'self-approved'];
const state = {
  token: sessionStorage.getItem('ledgerd.token') || '',
  vkey: localStorage.getItem('ledgerd.vkey') || '',
  timer: null,
};

function $(id) { return document.getElementById(id); }

function say(text) { $('status').textContent = text; }

// An element with attributes set one by one (never innerHTML).
function el(tag, attrs, text, ns) {
  const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}
const SVG = 'http://www.w3.org/2000/svg';

async function api(path, as) {
  const headers = {};
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  const r = await fetch(path, { headers, cache: 'no-store' });
  if (r.status === 401) {
    $('token').focus();
    throw new Error('a read token is needed (401)');
  }
  if (!r.ok) {
    let msg = r.status + '';
    try { msg += ': ' + (await r.json()).message; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return as === 'bytes' ? new Uint8Array(await r.arrayBuffer()) :
    as === 'text' ? r.text() : r.json();
}

// Save what path answers (a bundle: GET /v1/bundle) as file name: fetched
// with the token, then handed to the browser as a download.
async function saveBundle(path, name) {
  say('writing the bundle...');
  try {
    const bytes = await api(path, 'bytes');
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/gzip' }));
    const a = el('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);	// the save has begun
    say(`saved ${name} (${bytes.length} bytes): check it offline with ` +
      `ledgerctl verify --bundle ${name} --key ledger.pub`);
  } catch (e) {
    say('no bundle: ' + e.message);
  }
}

// ---- routing: #/timeline?from=&to=, #/entry/N ----

function parseHash() {
  const h = location.hash.replace(/^#/, '') || '/timeline';
  const [path, query] = h.split('?');
  return { path, q: new URLSearchParams(query || '') };
}

function show(id) {
  for (const s of ['timeline', 'state', 'deployments', 'entry']) $(s).hidden = s !== id;
}

async function render() {
  clearTimeout(state.timer);
  const { path, q } = parseHash();
  try {
    const m = path.match(/^\/entry\/(\d+)$/);
    if (m) await renderEntry(Number(m[1]));
    else if (path === '/state') await renderState(q);
    else if (path === '/deployments') await renderDeployments(q);
    else await renderTimeline(q);
  } catch (e) {
    say(e.message);
  }
}

// ---- the timeline ----

function windowOf(q) {
  const span = Number(q.get('span')) > 0 ? Math.min(Number(q.get('span')), 366 * DAY) : DAY;
  const to = q.get('to') ? Date.parse(q.get('to')) : Date.now();
  const from = q.get('from') ? Date.parse(q.get('from')) : to - span;
  return (isFinite(from) && isFinite(to) && from < to) ? { from, to, live: !q.get('to') }
    : { from: Date.now() - DAY, to: Date.now(), live: true };
}

// The timeline of [from, to) (live: the last span until now), its lanes
// by environment or service: the window is in the URL, to share.
function go(from, to, by, live) {
  const lanes = by === 'service' ? '&lanes=service' : '';
  location.hash = live ? '#/timeline?span=' + Math.round(to - from) + lanes :
    '#/timeline?from=' + new Date(from).toISOString() + '&to=' + new Date(to).toISOString() + lanes;
}

async function renderTimeline(q) {
  show('timeline');
  const w = windowOf(q);
  const data = await api('/v1/timeline?from=' + new Date(w.from).toISOString() +
    '&to=' + new Date(w.to).toISOString() + '&limit=100000');
  const by = q.get('lanes') === 'service' ? 'service' : 'environment';
  $('lane-by').value = by;
  $('lane-by').onchange = () => go(w.from, w.to, $('lane-by').value, w.live);
  const lanes = new Map();
  for (const e of data.entries) {
    const env = e[by] || (e.kind === 'ledger' ? '(ledger)' : `(no ${by})`);
    if (!lanes.has(env)) lanes.set(env, []);
    lanes.get(env).push(e);
  }
  const W = 1000, LABEL = 140, H = 34, TOP = 20;
  const names = [...lanes.keys()].sort();
  const svg = el('svg', { viewBox: `0 0 ${W} ${TOP + H * Math.max(names.length, 1) + 4}`,
    role: 'img', 'aria-label': 'timeline' }, undefined, SVG);
  const x = (t) => LABEL + (W - LABEL - 10) * (t - w.from) / (w.to - w.from);
  for (let i = 0; i <= 4; i++) {
    const t = w.from + (w.to - w.from) * i / 4;
    svg.append(el('text', { x: x(t), y: 12, class: 'axis',
      'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' },
      new Date(t).toISOString().slice(5, 16).replace('T', ' '), SVG));
  }
  for (const g of data.gaps || []) {
    const a = Date.parse(g.from), b = Date.parse(g.to);
    if (isFinite(a) && isFinite(b))
      svg.append(el('rect', { x: x(Math.max(a, w.from)), y: TOP, class: 'gap',
        width: Math.max(2, x(Math.min(b, w.to)) - x(Math.max(a, w.from))),
        height: H * names.length }, undefined, SVG));
  }
  names.forEach((env, i) => {
    const y = TOP + i * H;
    svg.append(el('rect', { x: 0, y: y + 2, width: W, height: H - 4, class: 'lane-bg' }, undefined, SVG));
    svg.append(el('text', { x: 4, y: y + H / 2 + 4, class: 'lane-label' }, env, SVG));
    for (const e of lanes.get(env)) {
      const a = el('a', { href: '#/entry/' + e.seq, class: `mark k-${cls(e.kind)} s-${cls(e.status)}`,
        'data-seq': e.seq, tabindex: 0 }, undefined, SVG);
      a.append(el('circle', { cx: x(Date.parse(e.time)), cy: y + H / 2, r: 5 }, undefined, SVG));
      a.append(el('title', {}, [e.time, e.kind, e.service || '', e.status || '',
        e.actor ? 'by ' + e.actor : '', 'seq ' + e.seq].filter(Boolean).join(' '), SVG));
      svg.append(a);
    }
  });
  $('lanes').replaceChildren(svg);
  // for the browser test and bench/ui-timeline.sh (Performance API): the
  // marks are in the page, then painted (the frame after this one)
  performance.clearMarks('ledgerd:timeline');
  performance.clearMarks('ledgerd:timeline-painted');
  performance.mark('ledgerd:timeline', { detail: { entries: data.entries.length } });
  requestAnimationFrame(() => setTimeout(() => performance.mark('ledgerd:timeline-painted',
    { detail: { entries: data.entries.length } }), 0));
  $('window').textContent = new Date(w.from).toISOString() + ' .. ' +
    new Date(w.to).toISOString() + (w.live ? ' (live)' : '');
  say(`${data.entries.length} entries` + (data.truncated ? ' (truncated: zoom in)' : '') +
    ((data.gaps || []).length ? `, ${data.gaps.length} gaps in the ledger's own heartbeats` : ''));
  const span = w.to - w.from;
  $('earlier').onclick = () => go(w.from - span / 2, w.to - span / 2, by);
  $('later').onclick = () => go(w.from + span / 2, w.to + span / 2, by);
  $('zoom-in').onclick = () => go(w.from + span / 4, w.to - span / 4, by);
  $('zoom-out').onclick = () => go(w.from - span / 2, w.to + span / 2, by);
  $('now').onclick = () => go(Date.now() - DAY, Date.now(), by, true);
  if (w.live) state.timer = setTimeout(render, 10000);
}

// A class name from attacker text: letters, digits and dashes only.
function cls(s) { return String(s || 'none').toLowerCase().replace(/[^a-z0-9-]/g, '-'); }

// ---- tables: state at a moment, the population, exceptions ----

// A table of rows: cols are [heading, function of the row giving text, or
// {seq} for a link to the entry]; text only, never markup.
function table(id, cols, rows) {
  const head = el('tr');
  for (const [h] of cols) head.append(el('th', {}, h));
  const trs = rows.map((r) => {
    const tr = el('tr');
    for (const [, f] of cols) {
      const v = f(r);
      const td = el('td');
      if (v && typeof v === 'object' && 'seq' in v) td.append(el('a', { href: '#/entry/' + v.seq }, v.seq));
      else td.textContent = v === undefined || v === null ? '' : String(v);
      tr.append(td);
    }
    return tr;
  });
  $(id).replaceChildren(head, ...trs);
}

const approvers = (r) => (r.approvals || []).filter((a) => a.status === 'approved')
  .map((a) => a.actor).join(' ');
const short = (d) => (d ? String(d).replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1...') : '');

function hashWith(path, fields) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v) q.set(k, v);
  location.hash = '#' + path + '?' + q.toString();
}

async function renderState(q) {
  show('state');
  const env = q.get('env') || 'production', at = q.get('at') || '';
  $('state-env').value = env;
  $('state-at').value = at;
  $('state-form').onsubmit = (ev) => {
    ev.preventDefault();
    hashWith('/state', { env: $('state-env').value.trim(), at: $('state-at').value.trim() });
  };
  const data = await api('/v1/state?env=' + encodeURIComponent(env) +
    (at ? '&at=' + encodeURIComponent(at) : ''));
  const good = new Map();
  for (const r of data.state) {
    try {
      good.set(r.service, await api('/v1/last-good?env=' + encodeURIComponent(env) +
        '&service=' + encodeURIComponent(r.service || '') + (at ? '&before=' + encodeURIComponent(at) : '')));
    } catch (e) { good.set(r.service, {}); }
  }
  table('state-table', [
    ['service', (r) => r.service], ['running', (r) => short(r.artifact) || r.commit],
    ['since', (r) => r.time], ['entry', (r) => ({ seq: r.seq })], ['deployed by', (r) => r.deployer],
    ['approved by', approvers], ['last good', (r) => {
      const g = good.get(r.service) || {};
      return g.seq === undefined ? '' : `${short(g.artifact) || g.commit || ''} (seq ${g.seq})`;
    }],
  ], data.state);
  say(`${env} at ${data.at}: ${data.state.length} services`);
}

function csvField(v) {
  let s = v === undefined || v === null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;	// a spreadsheet would run it
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

async function renderDeployments(q) {
  show('deployments');
  const env = q.get('env') || 'production', period = q.get('period') ||
    new Date().toISOString().slice(0, 7);
  // a shared link's word, kept only when it names a report
  const which = EXCEPTIONS.includes(q.get('which')) ? q.get('which') : '';
  $('dep-env').value = env;
  $('dep-period').value = period;
  $('dep-which').value = which;
  $('dep-form').onsubmit = (ev) => {
    ev.preventDefault();
    hashWith('/deployments', { env: $('dep-env').value.trim(),
      period: $('dep-period').value.trim(), which: $('dep-which').value });
  };
  const qs = '?env=' + encodeURIComponent(env) + '&period=' + encodeURIComponent(period);
  $('dep-bundle').onclick = () => saveBundle('/v1/bundle' + qs +
    (which ? '&exception=' + encodeURIComponent(which) : ''),
    `${cls(env)}-${cls(period)}-${cls(which || 'deployments')}.bundle.gz`);
  const data = await api(which ? `/v1/exceptions/${encodeURIComponent(which)}${qs}` :
    `/v1/deployments${qs}`);
  const rows = which ? data.exceptions : data.deployments;
  const cols = [
    ['seq', (r) => ({ seq: r.seq })], ['time', (r) => r.time], ['service', (r) => r.service],
    ['status', (r) => r.status], ['deployer', (r) => r.deployer], ['artifact', (r) => short(r.artifact)],
    ['commit', (r) => r.commit], ['approved by', approvers], ['exceptions', (r) => (r.exceptions || []).join(' ')],
  ];
  table('dep-table', cols, rows);
  const lines = [cols.map(([h]) => h).join(',')].concat(rows.map((r) => cols.map(([, f]) => {
    const v = f(r);
    return csvField(v && typeof v === 'object' ? v.seq : v);
  }).join(',')));
  const csv = new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' });
  if ($('dep-csv').href.startsWith('blob:')) URL.revokeObjectURL($('dep-csv').href);
  $('dep-csv').href = URL.createObjectURL(csv);
  $('dep-completeness').textContent = data.completeness ? 'completeness: ' +
    Object.entries(data.completeness).filter(([, v]) => v !== null && !Array.isArray(v))
      .map(([k, v]) => `${k} ${typeof v === 'object' ? 'size ' + v.size + ' at ' + v.time : v}`)
      .join(', ') : '';
  say(`${rows.length} ${which || 'deployments'} in ${env}, ${data.from} .. ${data.to}` +
    (data.truncated ? ' (truncated)' : ''));
}

// ---- an entry and its proof ----

async function renderEntry(seq) {
  show('entry');
  $('entry-title').textContent = 'Entry ' + seq;
  $('entry-bundle').onclick = () => saveBundle(`/v1/bundle?seq=${seq}&payloads=true`,
    `entry-${seq}.bundle.gz`);
  $('proof').className = 'proof';
  $('proof').textContent = 'verifying...';
  const bytes = await api(`/v1/events/${seq}/entry`, 'bytes');
  const entry = JSON.parse(new TextDecoder().decode(bytes));
  const rows = [['seq', entry.seq], ['time', entry.time], ['kind', entry.kind], ['log', entry.log],
    ['key', entry.key]];
  for (const [k, v] of Object.entries(entry.source || {})) rows.push(['source.' + k, v]);
  for (const [k, v] of Object.entries(entry.subject || {})) rows.push([k, v]);
  rows.push(['payload', `${entry.payload.type}, ${entry.payload.size} bytes, sha256 ${entry.payload.sha256}`]);
  $('fields').replaceChildren(...rows.map(([k, v]) => {
    const tr = el('tr');
    tr.append(el('th', {}, k), el('td', {}, v));
    return tr;
  }));
  say('');
  showPayload(seq).catch((e) => { $('payload').textContent = '(payload: ' + e.message + ')'; });
  showLineage(entry).catch((e) => { $('lineage').replaceChildren(el('p', {}, e.message)); });
  try {
    const what = await verify(seq, bytes);
    $('proof').className = 'proof ok';
    $('proof').textContent = what;
  } catch (e) {
    $('proof').className = 'proof bad';
    $('proof').textContent = 'not verified: ' + e.message;
  }
}

// The entry's lineage (GET /v1/trace, docs/auditing.md): by its artifact,
// else its commit, else its run -- drawn as a small graph, one column per
// stage, commit -> build -> artifact -> scan -> approval -> deployment ->
// rollback, each entry a node (a link to it) in the log's order.
const STAGES = [
  ['commit', ['change']], ['build', ['build', 'test']], ['artifact', ['artifact']],
  ['scan', ['scan']], ['approval', ['approval']], ['deployment', ['deployment']],
  ['rollback', ['rollback']], ['other', ['incident', 'ledger', 'other']],
];
const PER_STAGE = 8;

async function showLineage(entry) {
  const s = entry.subject || {};
  const by = s.artifact ? ['artifact', s.artifact] : s.commit ? ['commit', s.commit] :
    s.run ? ['run', s.run] : null;
  if (!by) {
    $('lineage').replaceChildren(el('p', {}, 'no artifact, commit or run to trace'));
    return;
  }
  const data = await api(`/v1/trace?${by[0]}=` + encodeURIComponent(by[1]));
  const cols = STAGES.map(([name]) => ({ name, nodes: [], more: 0 }));
  const commits = new Set();
  for (const e of data.entries) {
    if (e.commit) commits.add(e.commit);
    const i = STAGES.findIndex(([, kinds]) => kinds.includes(e.kind));
    const col = cols[i < 0 ? cols.length - 1 : i];
    if (col.nodes.length < PER_STAGE || e.seq === entry.seq) col.nodes.push(e);
    else col.more++;
  }
  for (const c of [...commits].slice(0, PER_STAGE)) cols[0].nodes.unshift({ commit: c });
  cols[0].more += Math.max(0, commits.size - PER_STAGE);
  const shown = cols.filter((c) => c.nodes.length > 0);
  const CW = 150, NW = 132, NH = 40, GAP = 8, TOP = 18;
  const rows = Math.max(1, ...shown.map((c) => c.nodes.length + (c.more ? 1 : 0)));
  const H = TOP + rows * (NH + GAP);
  const svg = el('svg', { viewBox: `0 0 ${Math.max(1, shown.length) * CW} ${H}`,
    class: 'graph', role: 'group', 'aria-label': `lineage by ${by[0]}` }, undefined, SVG);
  shown.forEach((c, i) => {
    const x = i * CW;
    svg.append(el('text', { x: x + 4, y: 12, class: 'axis' }, c.name, SVG));
    if (i > 0) {			// an arrow from the stage before
      const y = TOP + NH / 2;
      svg.append(el('path', { d: `M${x - CW + NW + 2},${y} L${x - 4},${y}`, class: 'edge' }, undefined, SVG));
      svg.append(el('path', { d: `M${x - 9},${y - 4} L${x - 3},${y} L${x - 9},${y + 4}`, class: 'edge' }, undefined, SVG));
    }
    c.nodes.forEach((e, k) => {
      const y = TOP + k * (NH + GAP);
      // every node takes focus (Tab), the commit's too: its full hash
      // is its label
      const g = e.seq === undefined ? el('g', { class: 'node commit', tabindex: 0, role: 'img',
        'aria-label': 'commit ' + e.commit }, undefined, SVG) :
        el('a', { href: '#/entry/' + e.seq, class: `node k-${cls(e.kind)} s-${cls(e.status)}` +
          (e.seq === entry.seq ? ' here' : ''), 'data-seq': e.seq, tabindex: 0 }, undefined, SVG);
      g.append(el('rect', { x, y, width: NW, height: NH, rx: 4 }, undefined, SVG));
      const line1 = e.seq === undefined ? 'commit' : `${e.kind} ${e.seq}`;
      const line2 = e.seq === undefined ? String(e.commit).slice(0, 12) :
        [e.status, e.environment].filter(Boolean).join(' ');
      g.append(el('text', { x: x + 6, y: y + 16 }, line1, SVG));
      g.append(el('text', { x: x + 6, y: y + 32, class: 'sub' }, line2.slice(0, 20), SVG));
      g.append(el('title', {}, e.seq === undefined ? 'commit ' + e.commit :
        [e.time, e.kind, e.status, e.environment, e.service, e.actor ? 'by ' + e.actor : '',
          'seq ' + e.seq].filter(Boolean).join(' '), SVG));
      svg.append(g);
    });
    if (c.more) svg.append(el('text', { x: x + 6, y: TOP + c.nodes.length * (NH + GAP) + 16,
      class: 'axis', tabindex: 0 }, `+${c.more} more (ledgerctl trace lists them all)`, SVG));
  });
  svg.style.maxWidth = `${shown.length * CW}px`;
  $('lineage').replaceChildren(svg);
}

async function showPayload(seq) {
  const raw = await api(`/v1/events/${seq}/payload`, 'bytes');
  const blob = new Blob([raw], { type: 'application/octet-stream' });
  if ($('download').href.startsWith('blob:')) URL.revokeObjectURL($('download').href);
  $('download').href = URL.createObjectURL(blob);
  $('download').setAttribute('download', `entry-${seq}.payload`);
  let text = new TextDecoder().decode(raw.slice(0, 65536));
  try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* as it is */ }
  $('payload').textContent = text + (raw.length > 65536 ? '\n... (cut: download it whole)' : '');
}

function b64(s) {
  const bin = atob(s.trim());
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function hex(a) { return [...a].map((b) => b.toString(16).padStart(2, '0')).join(''); }

async function sha256(...parts) {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const buf = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { buf.set(p, o); o += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

function same(a, b) { return a.length === b.length && a.every((v, i) => v === b[i]); }

// RFC 9162 2.1.3.2: the root from a leaf, its index, the size, the path.
async function rootOf(leaf, index, size, path) {
  if (index >= size) throw new Error('the entry is past the checkpoint');
  let fn = index, sn = size - 1, r = leaf;
  const one = Uint8Array.of(1);
  for (const p of path) {
    if (sn === 0) throw new Error('the proof is too long');
    if ((fn & 1) || fn === sn) {
      r = await sha256(one, p, r);
      if (!(fn & 1)) while (!(fn & 1) && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else {
      r = await sha256(one, r, p);
    }
    fn >>= 1; sn >>= 1;
  }
  if (sn !== 0) throw new Error('the proof is too short');
  return r;
}

// The log's key from its ledger.pub line: name+hex8+base64(0x01||key).
function parseVkey(line) {
  const m = line.trim().match(/^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/);
  if (!m) throw new Error('no log public key given (paste ledger.pub above)');
  const raw = b64(m[3]);
  if (raw.length !== 33 || raw[0] !== 1) throw new Error('the public key is not an Ed25519 key');
  return { name: m[1], id: m[2], key: raw.slice(1) };
}

async function verify(seq, bytes) {
  const vk = parseVkey(state.vkey);
  const leaf = await sha256(Uint8Array.of(0), bytes);
  const note = await api('/v1/checkpoint', 'text');
  const cut = note.indexOf('\n\n');
  if (cut < 0) throw new Error('the checkpoint is not a signed note');
  const body = note.slice(0, cut + 1);
  const [origin, sizeText, rootText] = body.split('\n');
  if (origin !== vk.name) throw new Error(`the checkpoint is of log '${origin}', the key of '${vk.name}'`);
  const size = Number(sizeText);
  let signed = false;
  for (const line of note.slice(cut + 2).split('\n')) {
    const m = line.match(/^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/);
    if (!m || m[1] !== vk.name) continue;
    const sig = b64(m[2]);
    if (sig.length !== 68 || hex(sig.slice(0, 4)) !== vk.id) continue;
    let key;
    try {
      key = await crypto.subtle.importKey('raw', vk.key, { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      throw new Error('this browser cannot check Ed25519 signatures (WebCrypto): ' +
        'check the entry with ledgerctl prove instead');
    }
    signed = await crypto.subtle.verify({ name: 'Ed25519' }, key, sig.slice(4),
      new TextEncoder().encode(body));
    if (signed) break;
  }
  if (!signed) throw new Error(`the checkpoint of size ${size} is not signed by key ${vk.id}`);
  const proof = await api(`/v1/proof/inclusion?seq=${seq}&size=${size}`);
  if (!same(b64(proof.leaf_hash), leaf))
    throw new Error('the entry bytes do not hash to the leaf the log proves');
  const root = await rootOf(leaf, seq, size, proof.audit_path.map(b64));
  if (!same(root, b64(rootText)))
    throw new Error(`the entry is not in the tree of checkpoint ${size}`);
  return `verified against checkpoint ${size} signed by key ${vk.id}`;
}

// ---- start ----

$('token').value = state.token;
$('vkey').value = state.vkey;
$('auth').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.token = $('token').value.trim();
  state.vkey = $('vkey').value.trim();
  sessionStorage.setItem('ledgerd.token', state.token);
  localStorage.setItem('ledgerd.vkey', state.vkey);
  render();
});
window.addEventListener('hashchange', render);
render();
