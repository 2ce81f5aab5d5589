// dash.js — polls /api/dashboard every second (only the samples it has not seen), keeps the
// last ten minutes client-side, draws them with Chart.js, and looks users up at /users/{id}.
// Data from the engine is put in the page as text only (textContent), never as markup.
'use strict';

const MAX_POINTS = 600;
const POLL_MS = 1000;
const COLORS = ['#2b6cb0', '#dd6b20', '#38a169', '#d53f8c', '#805ad5', '#319795', '#b7791f',
                '#e53e3e', '#4a5568', '#2c5282', '#9c4221', '#276749', '#97266d', '#553c9a',
                '#285e61', '#744210'];

const state = { seq: 0, labels: [], samples: [], charts: {}, types: [], lagSeries: [], busy: false };

const $ = (id) => document.getElementById(id);

function fmtInt(v) { return v == null ? '—' : Math.round(v).toLocaleString('en-US'); }
function fmtNum(v, digits) { return v == null ? '—' : Number(v).toFixed(digits); }
function fmtAge(s) {
  if (s == null) return 'off';
  if (s < 120) return Math.round(s) + ' s';
  return Math.round(s / 60) + ' min';
}

// A tile shows a formatted value; data-value keeps the exact one (tests compare it).
function setTile(key, value, text) {
  const el = $('t-' + key);
  if (!el) return;
  el.dataset.value = value == null ? '' : String(value);
  el.textContent = text;
}

function lineChart(id, datasets, extra) {
  const options = {
    animation: false, responsive: true, maintainAspectRatio: false, normalized: true,
    spanGaps: true, interaction: { mode: 'index', intersect: false },
    elements: { point: { radius: 0 }, line: { borderWidth: 1.5 } },
    plugins: { legend: { labels: { boxWidth: 10, font: { size: 11 } } } },
    scales: { x: { ticks: { maxTicksLimit: 6, maxRotation: 0, font: { size: 10 } } },
              y: { beginAtZero: true, ticks: { font: { size: 10 } } } },
  };
  if (extra) extra(options);
  return new Chart($(id), { type: 'line', data: { labels: state.labels, datasets }, options });
}

function series(label, i, yAxisID) {
  const ds = { label, data: [], borderColor: COLORS[i % COLORS.length],
               backgroundColor: COLORS[i % COLORS.length] };
  if (yAxisID) ds.yAxisID = yAxisID;
  return ds;
}

// Each chart: its datasets and how a sample gives each dataset's value.
const CHARTS = {
  fresh: {
    sets: () => ['engine p50', 'engine p99', 'end to end p50', 'end to end p99'].map((label, i) => series(label, i)),
    value: (s, i) => s.fresh[i],
    // Latency spans decades (a queue at start, sub-millisecond in the engine): log scale.
    extra: (o) => { o.scales.y = { type: 'logarithmic', ticks: { font: { size: 10 } } }; },
  },
  model: {
    sets: () => ['logloss', 'AUC', 'HR@10'].map((label, i) => series(label, i)),
    value: (s, i) => [s.logloss, s.auc, s.hr10][i],
  },
  steps: { sets: () => [series('steps/s', 0)], value: (s) => s.steps },
  errors: { sets: () => ['Redis', 'Kafka'].map((label, i) => series(label, i)), value: (s, i) => [s.rerr, s.kerr][i] },
  state: {
    sets: () => [series('users', 0), series('items', 1), series('checkpoint age (s)', 2, 'y2')],
    value: (s, i) => [s.users, s.items, s.ckpt_age][i],
    extra: (o) => { o.scales.y2 = { position: 'right', beginAtZero: true,
                                    grid: { drawOnChartArea: false }, ticks: { font: { size: 10 } } }; },
  },
};

function makeCharts(engine) {
  state.types = engine.types;
  state.lagSeries = engine.lag_series.slice();
  // Event types: every type but the placeholder 0 and forget_user.
  const typeIdx = engine.types.map((t, i) => i).filter((i) => i > 0 && engine.types[i] !== 'forget_user');
  CHARTS.events = { sets: () => typeIdx.map((t, k) => series(engine.types[t], k)),
                    value: (s, k) => s.ev[typeIdx[k]] };
  CHARTS.lag = { sets: () => state.lagSeries.map((label, i) => series(label, i)), value: (s, k) => s.lag[k] };
  CHARTS.dlq = { sets: () => [series('lost', 0), series('flooded', 1), series('duplicates', 2)],
                 value: (s, k) => [s.lost, s.flood, s.dup][k] };
  for (const [name, def] of Object.entries(CHARTS)) {
    state.charts[name] = lineChart('c-' + name, def.sets(), def.extra);
  }
  $('rolling').textContent = engine.rolling;
}

// Dead-letter reasons appear as they are first seen: one dataset each.
function dlqDataset(reason) {
  const chart = state.charts.dlq;
  let ds = chart.data.datasets.find((d) => d.label === 'DLQ ' + reason);
  if (!ds) {
    ds = series('DLQ ' + reason, chart.data.datasets.length);
    ds.data = state.labels.map(() => 0);
    ds.reason = reason;
    chart.data.datasets.push(ds);
  }
  return ds;
}

function pushSample(s) {
  state.labels.push(new Date(s.t).toLocaleTimeString('en-GB'));
  state.samples.push(s);
  for (const [name, def] of Object.entries(CHARTS)) {
    const chart = state.charts[name];
    chart.data.datasets.forEach((ds, k) => { if (!ds.reason) ds.data.push(def.value(s, k)); });
  }
  for (const reason of Object.keys(s.dlq)) dlqDataset(reason);
  for (const ds of state.charts.dlq.data.datasets) {
    if (ds.reason) ds.data.push(s.dlq[ds.reason] || 0);
  }
  if (state.labels.length > MAX_POINTS) {
    state.labels.shift();
    state.samples.shift();
    for (const chart of Object.values(state.charts)) chart.data.datasets.forEach((ds) => ds.data.shift());
  }
}

function renderTiles(d) {
  const t = d.totals;
  const last = state.samples[state.samples.length - 1];
  const eps = last ? last.ev.reduce((a, b) => a + (b || 0), 0) : null;
  setTile('events_total', t.events_total, fmtInt(t.events_total));
  setTile('events_per_s', eps, eps == null ? '—' : fmtNum(eps, eps < 100 ? 1 : 0));
  setTile('users', t.users, fmtInt(t.users));
  setTile('items', t.items, fmtInt(t.items));
  setTile('freshness_p50_ms', t.freshness_p50_ms, fmtNum(t.freshness_p50_ms, 2));
  setTile('freshness_p99_ms', t.freshness_p99_ms, fmtNum(t.freshness_p99_ms, 2));
  const e2e = state.samples.map((s) => s.fresh[3]).filter((v) => v != null).pop();
  setTile('e2e_p99_ms', e2e, e2e == null ? '—' : fmtNum(e2e, 1));
  const lag = d.lag.reduce((a, p) => a + p.lag, 0);
  setTile('lag_total', lag, fmtInt(lag));
  setTile('dlq_total', t.dlq_total, fmtInt(t.dlq_total));
  setTile('lost_total', t.lost_total, fmtInt(t.lost_total));
  setTile('redis_errors_total', t.redis_errors_total, fmtInt(t.redis_errors_total));
  setTile('kafka_errors_total', t.kafka_errors_total, fmtInt(t.kafka_errors_total));
  setTile('checkpoint_age', last ? last.ckpt_age : null, fmtAge(last ? last.ckpt_age : null));
  setTile('logloss', t.logloss, t.logloss == null ? 'n/a' : fmtNum(t.logloss, 4));
  setTile('auc', t.auc, t.auc == null ? 'n/a' : fmtNum(t.auc, 4));
  setTile('hr10', t.hr10, t.hr10 == null ? 'n/a' : fmtNum(t.hr10, 4));
  setTile('train_steps_total', t.train_steps_total, fmtInt(t.train_steps_total));
}

function renderHeader(d) {
  const e = d.engine;
  $('model-version').textContent = e.model_version;
  $('health').className = 'dot ' + (e.healthy ? 'ok' : 'bad');
  const up = Math.max(0, (e.now_ms - e.started_ms) / 1000);
  $('uptime').textContent = up < 3600 ? Math.round(up / 60) + ' min' : (up / 3600).toFixed(1) + ' h';
  $('status').textContent = 'updated ' + new Date(e.now_ms).toLocaleTimeString('en-GB');
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function bar(td, share) {
  const span = document.createElement('span');
  span.className = 'bar';
  span.style.width = Math.max(2, Math.round(80 * share)) + 'px';
  td.prepend(span);
}

function renderTrending(list) {
  const body = $('trending').tBodies[0];
  const top = list.length ? list[0].score : 1;
  body.replaceChildren(...list.map((it, i) => {
    const tr = document.createElement('tr');
    tr.dataset.item = it.item;
    cell(tr, String(i + 1));
    cell(tr, it.item);
    cell(tr, it.category || '—');
    bar(cell(tr, fmtNum(it.score, 2), 'num'), top > 0 ? it.score / top : 0);
    return tr;
  }));
}

// Lag partitions can appear after the charts exist (assignment after start).
function syncLagSeries(names) {
  const chart = state.charts.lag;
  for (let k = state.lagSeries.length; k < names.length; k++) {
    const ds = series(names[k], k);
    ds.data = state.labels.map(() => null);
    chart.data.datasets.push(ds);
    state.lagSeries.push(names[k]);
  }
}

async function poll() {
  if (state.busy) return;
  state.busy = true;
  try {
    const res = await fetch('/api/dashboard?since=' + state.seq, { cache: 'no-store' });
    if (res.status === 401 || res.status === 403) {
      $('status').textContent = 'not authorised: reload and give the token';
      return;
    }
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const d = await res.json();
    if (!state.charts.events) makeCharts(d.engine);
    syncLagSeries(d.engine.lag_series);
    if (d.seq < state.seq) state.seq = 0; // the engine restarted: its samples start again
    d.samples.forEach(pushSample);
    state.seq = d.seq;
    for (const chart of Object.values(state.charts)) chart.update('none');
    renderHeader(d);
    renderTiles(d);
    renderTrending(d.trending);
    document.body.dataset.ready = '1';
    document.body.dataset.seq = String(d.seq);
  } catch (err) {
    $('status').textContent = 'engine unreachable (' + err.message + '), retrying';
  } finally {
    state.busy = false;
  }
}

// "shoes:0.61,hats:0.20" -> [['shoes', 0.61], ['hats', 0.2]]; names may hold ':' or ','.
function parseShares(text) {
  if (!text) return [];
  return text.split(/,(?=[^,]*:[0-9.]+(?:,|$))/).map((pair) => {
    const at = pair.lastIndexOf(':');
    return [pair.slice(0, at), Number(pair.slice(at + 1))];
  }).filter((p) => p[0] !== '' || p[1]);
}

function renderShares(id, text) {
  const rows = parseShares(text).map(([name, share]) => {
    const div = document.createElement('div');
    div.className = 'row';
    const span = document.createElement('span');
    span.className = 'bar';
    span.style.width = Math.max(2, Math.round(120 * share)) + 'px';
    div.append(span, name + ' ' + share.toFixed(2));
    return div;
  });
  $(id).replaceChildren(...rows);
}

function renderPortrait(u) {
  const p = u.portrait;
  const demo = u.demographics;
  const rows = [['price band', p.price_band], ['activity', p.activity], ['lifecycle', p.lifecycle],
                ['purchase propensity', p.purchase_propensity], ['events', p.events],
                ['purchases', p.purchases],
                ['age', demo.age == null ? 'unknown' : demo.age],
                ['gender', demo.gender || 'unknown'],
                ['last event', new Date(u.last_event_ms).toISOString().replace('T', ' ').slice(0, 19)]];
  $('u-portrait').replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = k;
    dd.textContent = v == null ? '—' : String(v);
    dd.dataset.field = k;
    return [dt, dd];
  }));
  renderShares('u-cats', p.top_categories);
  renderShares('u-brands', p.top_brands);
}

function chips(id, items) {
  $(id).replaceChildren(...items.map((it) => {
    const span = document.createElement('span');
    span.textContent = it.item + (it.category ? ' · ' + it.category : '');
    span.dataset.item = it.item;
    return span;
  }));
  if (!items.length) $(id).textContent = 'none';
}

function renderUser(u) {
  $('u-id').textContent = u.user_id;
  $('u-model').textContent = u.model_version;
  renderPortrait(u);
  const top = u.list.length ? Math.max(...u.list.map((r) => r.score)) : 1;
  $('u-list').tBodies[0].replaceChildren(...u.list.map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.item = r.item;
    tr.dataset.score = r.score_text;
    cell(tr, String(r.rank));
    cell(tr, r.item);
    bar(cell(tr, fmtNum(r.score, 4), 'num'), top > 0 ? r.score / top : 0);
    cell(tr, r.reason_detail);
    cell(tr, r.category || '—');
    return tr;
  }));
  chips('u-recent', u.recent);
  chips('u-bought', u.bought);
  $('user').hidden = false;
}

async function lookup(ev) {
  ev.preventDefault();
  const id = $('user-id').value.trim();
  if (!id) return;
  $('user-status').textContent = 'loading…';
  $('user').dataset.loaded = '';
  try {
    const res = await fetch('/users/' + encodeURIComponent(id), { cache: 'no-store' });
    if (res.status === 404) {
      $('user').hidden = true;
      $('user-status').textContent = 'The engine holds no user "' + id + '".';
      $('user').dataset.loaded = 'missing';
      return;
    }
    if (!res.ok) throw new Error('HTTP ' + res.status);
    renderUser(await res.json());
    $('user-status').textContent = '';
    $('user').dataset.loaded = id;
  } catch (err) {
    $('user-status').textContent = 'lookup failed: ' + err.message;
  }
}

function start() {
  $('lookup').addEventListener('submit', lookup);
  const wanted = new URLSearchParams(location.search).get('user');
  if (wanted) {
    $('user-id').value = wanted;
    $('lookup').requestSubmit();
  }
  poll();
  setInterval(poll, POLL_MS);
}

if (typeof Chart === 'undefined') {
  $('status').textContent = 'Chart.js did not load';
} else {
  start();
}
