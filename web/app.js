// The kalshiflow dashboard (DESIGN §9): the actor's state from the API server it is served by.
//   /rl/ws       actor_action (every decision), actor_fill, actor_pnl and stats (1 s), live;
//   /rl/status   mode, selector, model, paused, kill switch (polled every 2 s);
//   /rl/positions, /rl/markets (polled every 2 s), /rl/orderbook/{ticker} (the chosen market);
//   POST /rl/actor/start|stop|kill|switch-model — the controls (a bearer token when the server
//   listens beyond loopback; typed in, kept for this tab only);
//   /rl/models (every 2 s) and PUT /rl/models/{id} — the registry, deploy / archive.
// Under `kalshiflow serve` (/rl/status says "actor": null) only the registry is shown.
// Money arrives as fixed-point dollar strings and is shown as is; the P&L chart plots dollars.
import uPlot from './node_modules/uplot/dist/uPlot.esm.js';

const kMaxRows = 50;          // rows kept in the decision and fill logs
const kMaxPoints = 3600;      // P&L points kept (one per second: an hour)
const kPollMs = 2000;

const $ = (id) => document.getElementById(id);
// hasActor: false under `kalshiflow serve` (no actor in the process: only the registry).
const state = { decisions: 0, book: null, pnl: [[], []], hasActor: true };

function setText(id, value) {
  const el = $(id);
  if (el && el.textContent !== String(value)) el.textContent = String(value);
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function signClass(text) {
  const v = Number(text);
  return v < 0 ? 'neg' : v > 0 ? 'pos' : '';
}

function prepend(tableId, tr) {
  const body = $(tableId).tBodies[0];
  body.insertBefore(tr, body.firstChild);
  while (body.rows.length > kMaxRows) body.deleteRow(body.rows.length - 1);
}

// ---- the P&L chart (uPlot) ----

const chart = new uPlot(
  {
    width: Math.max(320, $('pnl-chart').clientWidth - 2),
    height: 240,
    scales: { x: { time: true } },
    series: [{}, { label: 'P&L $', stroke: '#1f6feb', width: 2 }],
    axes: [{}, { size: 80, values: (u, ticks) => ticks.map((v) => v.toFixed(2)) }],
  },
  state.pnl,
  $('pnl-chart'),
);
window.addEventListener('resize', () =>
  chart.setSize({ width: Math.max(320, $('pnl-chart').clientWidth - 2), height: 240 }));

function addPnlPoint(tsMs, pnlDollars) {
  const [xs, ys] = state.pnl;
  const t = tsMs / 1000;
  if (xs.length > 0 && t <= xs[xs.length - 1]) {
    ys[ys.length - 1] = pnlDollars;  // same business second: the latest value
  } else {
    xs.push(t);
    ys.push(pnlDollars);
    if (xs.length > kMaxPoints) { xs.shift(); ys.shift(); }
  }
  chart.setData(state.pnl);
  $('pnl-chart').dataset.points = String(xs.length);
}

// ---- live messages ----

function onAction(m) {
  state.decisions = Math.max(state.decisions, m.decision || 0);
  setText('decisions', state.decisions);
  if (m.event_type && m.event_type !== 'decision') return;  // market-selection notes
  const tr = document.createElement('tr');
  cell(tr, m.decision);
  cell(tr, m.market_ticker);
  cell(tr, m.action + (m.exit_reason ? ` (${m.exit_reason})` : ''));
  cell(tr, m.outcome + (m.risk_reject ? `: ${m.risk_reject}` : ''),
       m.outcome === 'error' ? 'neg' : '');
  cell(tr, m.position);
  cell(tr, m.decision_us);
  if (m.detail) tr.title = m.detail;
  prepend('actions', tr);
}

function onFill(m) {
  const tr = document.createElement('tr');
  cell(tr, m.market_ticker);
  cell(tr, m.side);
  cell(tr, m.yes_price);
  cell(tr, m.count);
  cell(tr, m.fee);
  cell(tr, m.taker ? 'taker' : 'maker');
  prepend('fill-log', tr);
}

function onStats(m) {
  state.decisions = Math.max(state.decisions, m.decisions || 0);
  setText('decisions', state.decisions);
  setText('actions-per-minute', m.actions_last_minute ?? 0);
  setText('orders-placed', m.ops_sent ?? 0);
  setText('risk-rejected', m.risk_rejected ?? 0);
  setText('errors', m.errors ?? 0);
  if (m.latency && m.latency.decision) setText('decision-p99', m.latency.decision.p99_us);
}

function onPnl(m) {
  setText('cash', m.cash);
  setText('portfolio-value', m.portfolio_value);
  setText('pnl', m.pnl);
  $('pnl').className = signClass(m.pnl);
  addPnlPoint(m.ts_ms, Number(m.pnl));
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/rl/ws`);
  const badge = $('connection');
  ws.onopen = () => { badge.dataset.state = 'open'; badge.textContent = 'live'; };
  ws.onclose = () => {
    badge.dataset.state = 'closed';
    badge.textContent = 'disconnected — retrying';
    setTimeout(connect, 2000);
  };
  ws.onmessage = (event) => {
    let m;
    try { m = JSON.parse(event.data); } catch { return; }
    switch (m.type) {
      case 'actor_action': onAction(m); break;
      case 'actor_fill': onFill(m); break;
      case 'stats': onStats(m); break;
      case 'actor_pnl': onPnl(m); break;
      case 'error':
        $('control-result').textContent = m.code === 'messages_dropped'
          ? `the server dropped ${m.dropped} messages (this tab was too slow)`
          : `server: ${m.message}`;
        break;
      default: break;
    }
  };
}

// ---- polled views ----

async function getJson(path) {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

async function refreshStatus() {
  const s = await getJson('/rl/status');
  setText('mode', s.mode);
  state.hasActor = s.actor !== null;
  document.body.classList.toggle('no-actor', !state.hasActor);
  if (!state.hasActor) return;
  setText('selector', s.selector);
  setText('model', s.model ?? (s.model_id ? `#${s.model_id}` : 'none'));
  setText('run-state', s.paused ? 'paused' : 'trading');
  setText('kill-state', s.kill_switch.engaged ? `engaged (${s.kill_switch.reason})` : 'off');
  $('kill-state').className = s.kill_switch.engaged ? 'neg' : '';
  state.decisions = Math.max(state.decisions, s.decisions);
  setText('decisions', state.decisions);
  setText('errors', s.errors);
}

async function refreshPositions() {
  const p = await getJson('/rl/positions');
  setText('cash', p.cash);
  setText('portfolio-value', p.portfolio_value);
  setText('pnl', p.pnl);
  $('pnl').className = signClass(p.pnl);
  const body = $('positions').tBodies[0];
  body.replaceChildren();
  let fills = 0;
  for (const pos of p.positions) {
    const tr = document.createElement('tr');
    cell(tr, pos.market_ticker);
    cell(tr, pos.position, signClass(pos.position));
    cell(tr, pos.cost_basis);
    cell(tr, pos.realized_pnl, signClass(pos.realized_pnl));
    cell(tr, pos.fees_paid);
    cell(tr, pos.fills);
    fills += pos.fills;
    body.appendChild(tr);
  }
  setText('fills', fills);
  const working = $('working-orders').tBodies[0];
  working.replaceChildren();
  for (const o of p.working_orders) {
    const tr = document.createElement('tr');
    cell(tr, o.market_ticker);
    cell(tr, o.side);
    cell(tr, o.yes_price);
    cell(tr, o.remaining);
    working.appendChild(tr);
  }
}

async function refreshMarkets() {
  const m = await getJson('/rl/markets');
  const body = $('markets').tBodies[0];
  body.replaceChildren();
  for (const market of m.markets) {
    const tr = document.createElement('tr');
    tr.dataset.ticker = market.market_ticker;
    cell(tr, market.market_ticker);
    cell(tr, market.traded ? 'yes' : 'no');
    tr.addEventListener('click', () => { state.book = market.market_ticker; refreshBook(); });
    body.appendChild(tr);
  }
  if (state.book === null && m.markets.length > 0) {
    state.book = m.markets[0].market_ticker;
    refreshBook();
  }
}

async function refreshBook() {
  if (state.book === null) return;
  const ticker = state.book;
  const b = await getJson(`/rl/orderbook/${encodeURIComponent(ticker)}`);
  setText('book-ticker', ticker);
  setText('book-seq', `seq ${b.seq}${b.yes_bid ? `, YES ${b.yes_bid} / ${b.yes_ask ?? '–'}` : ''}`);
  // Levels are [price, size] pairs, ascending by price: best (highest) first here.
  const yes = [...b.yes].reverse();
  const no = [...b.no].reverse();
  const body = $('book').tBodies[0];
  body.replaceChildren();
  for (let i = 0; i < Math.min(10, Math.max(yes.length, no.length)); ++i) {
    const tr = document.createElement('tr');
    cell(tr, yes[i] ? `${yes[i][0]} × ${yes[i][1]}` : '');
    cell(tr, no[i] ? `${no[i][0]} × ${no[i][1]}` : '');
    body.appendChild(tr);
  }
}

async function refreshModels() {
  const m = await getJson('/rl/models?limit=50');
  const body = $('models').tBodies[0];
  body.replaceChildren();
  for (const model of m.models) {
    const tr = document.createElement('tr');
    tr.dataset.modelId = model.model_id;
    cell(tr, model.model_id);
    cell(tr, model.name);
    cell(tr, model.version);
    cell(tr, model.algorithm);
    cell(tr, model.timesteps);
    cell(tr, model.status, model.status === 'deployed' ? 'pos' : '');
    // `kalshiflow evaluate` stores performance.last_evaluation.policies[0] (the model's row).
    const perf = model.performance ?? {};
    const pnl = perf.last_evaluation?.policies?.[0]?.total_pnl ?? perf.total_pnl;
    cell(tr, pnl ?? '–', pnl ? signClass(pnl) : '');
    const actions = cell(tr, '');
    const button = (label, status) => {
      const b = document.createElement('button');
      b.textContent = label;
      b.className = `model-${status}`;
      b.addEventListener('click', () =>
        control(`/rl/models/${model.model_id}`, { status }, 'PUT'));
      actions.appendChild(b);
    };
    if (model.status === 'ready' || model.status === 'archived') button('Deploy', 'deployed');
    if (model.status !== 'archived' && model.status !== 'training') button('Archive', 'archived');
    body.appendChild(tr);
  }
}

async function poll() {
  await refreshStatus().catch((e) => { $('control-result').textContent = String(e); });
  const views = [refreshModels()];
  if (state.hasActor) views.push(refreshPositions(), refreshMarkets(), refreshBook());
  Promise.allSettled(views)
    .then((results) => {
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) $('control-result').textContent = String(failed.reason);
    });
}

// ---- controls ----

const tokenInput = $('token');
tokenInput.value = sessionStorage.getItem('kalshiflow-api-token') ?? '';
tokenInput.addEventListener('change', () =>
  sessionStorage.setItem('kalshiflow-api-token', tokenInput.value));

async function control(path, body, method = 'POST') {
  const headers = { 'Content-Type': 'application/json' };
  if (tokenInput.value) headers.Authorization = `Bearer ${tokenInput.value}`;
  const r = await fetch(path, { method, headers, body: JSON.stringify(body ?? {}) });
  const text = await r.text();
  $('control-result').textContent = `${path}: ${r.status} ${text}`;
  poll();
  return r.status;
}

$('pause').addEventListener('click', () => control('/rl/actor/stop'));
$('resume').addEventListener('click', () => control('/rl/actor/start'));
$('kill').addEventListener('click', () => {
  if (confirm('Engage the kill switch? Every working order is cancelled.')) {
    control('/rl/actor/kill', { engaged: true, reason: 'dashboard' });
  }
});
$('release').addEventListener('click', () => control('/rl/actor/kill', { engaged: false }));
$('switch').addEventListener('click', () =>
  control('/rl/actor/switch-model', { selector: $('selector-choice').value }));

connect();
poll();
setInterval(poll, kPollMs);
