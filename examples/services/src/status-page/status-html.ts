import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let chartLibrary: string | undefined;

/** TradingView's lightweight-charts standalone build, inlined so the page needs no network. */
function lightweightCharts(): string {
  if (chartLibrary !== undefined) return chartLibrary;
  const packageJson = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
  chartLibrary = readFileSync(join(dirname(packageJson), 'dist/lightweight-charts.standalone.production.js'), 'utf8').replaceAll('</script', '<\\/script');
  return chartLibrary;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#0f1419;color:#d8dee4}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#161b22;border-bottom:1px solid #30363d}
h1{font-size:1.1rem;margin:0}h2{font-size:.95rem;margin:.2rem 0 .4rem}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:.8rem;padding:.8rem}
section{background:#161b22;border:1px solid #30363d;border-radius:6px;padding:.6rem .8rem;overflow:auto;max-height:420px}
table{border-collapse:collapse;width:100%;font-size:12.5px}td,th{padding:2px 6px;border-bottom:1px solid #21262d;text-align:left;vertical-align:top}
.ok{color:#3fb950}.degraded{color:#d29922}.failing{color:#f85149}.badge{padding:1px 8px;border-radius:10px;border:1px solid currentColor}
#price{height:300px}.muted{color:#8b949e}`;

/** The page's script: polls `/status.json` and renders tables and the price chart with trade markers. */
const SCRIPT = `
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
const time = (ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
const age = (ms) => ms < 3600000 ? Math.floor(ms / 60000) + ' min' : ms < 172800000 ? Math.floor(ms / 3600000) + ' h' : Math.floor(ms / 86400000) + ' d';
const table = (head, rows) => '<table><tr>' + head.map((h) => '<th>' + esc(h) + '</th>').join('') + '</tr>' + rows.map((r) => '<tr>' + r.map((c) => '<td>' + c + '</td>').join('') + '</tr>').join('') + '</table>';
const chart = LightweightCharts.createChart($('price'), { layout: { background: { color: '#161b22' }, textColor: '#d8dee4' }, grid: { vertLines: { color: '#21262d' }, horzLines: { color: '#21262d' } }, timeScale: { timeVisible: true } });
const line = chart.addSeries(LightweightCharts.LineSeries, { color: '#58a6ff', lineWidth: 2 });
const markers = LightweightCharts.createSeriesMarkers(line, []);
function render(s) {
  $('status').className = 'badge ' + s.health.status; $('status').textContent = s.health.status;
  $('kill').textContent = s.killSwitch.engaged ? 'kill switch ENGAGED (' + s.killSwitch.mode + ')' : 'kill switch off';
  $('kill').className = s.killSwitch.engaged ? 'failing' : 'ok';
  $('updated').textContent = 'as of ' + time(s.generatedAtMs) + ' UTC';
  $('funnel').innerHTML = ['candle', 'signal', 'recommendation'].map((kind) => table([kind + ' state', 'items'], Object.entries(s.funnel[kind]).map(([k, v]) => [esc(k), esc(v)]))).join('');
  const dl = s.deadLetters, dlTotal = Object.values(dl.counts).reduce((a, b) => a + b, 0);
  $('dead-letters').innerHTML = table(['kind', 'dead letters'], Object.entries(dl.counts).map(([k, v]) => [esc(k), '<span class="' + (v > 0 ? 'degraded' : 'ok') + '">' + esc(v) + '</span>']))
    + (dl.oldest.length === 0 ? '' : '<h2>Oldest</h2>' + table(['id', 'kind', 'reason', 'failed from', 'age'], dl.oldest.map((d) => [esc(d.id), esc(d.kind), esc(d.reason), esc(d.fromState), esc(age(d.ageMs))])))
    + '<p class="muted">' + (dlTotal > 0 ? 'settle them with ' : 'none waiting; settled with ') + '<code>' + esc(dl.command) + ' list</code>, then <code>requeue</code> or <code>discard</code> each</p>';
  $('health').innerHTML = table(['check', 'status', 'detail'], s.health.checks.map((c) => [esc(c.name), '<span class="' + esc(c.status) + '">' + esc(c.status) + '</span>', esc(c.message)]));
  $('signals').innerHTML = table(['candle', 'product', 'action', 'confidence', 'model'], s.signals.map((g) => [time(g.candleStartMs), esc(g.productId), esc(g.action), esc(g.confidence.toFixed(3)), esc(g.modelVersion)]));
  $('recommendations').innerHTML = table(['created', 'product', 'side', 'origin', 'quote', 'state', 'verdicts and reasons'], s.recommendations.map((r) => [time(r.createdAtMs), esc(r.productId), esc(r.side), esc(r.origin), esc(r.quoteAmount), esc(r.state), esc([r.reason, ...r.verdicts.map((v) => v.validator + ' ' + v.decision + ': ' + v.reasons.join('; '))].filter(Boolean).join(' | '))]));
  $('orders').innerHTML = table(['created', 'product', 'side', 'status', 'filled', 'avg price', 'fees', 'reason'], s.orders.map((o) => [time(o.createdAtMs), esc(o.productId), esc(o.side), esc(o.status), esc(o.filledBaseSize), esc(o.averageFillPrice), esc(o.totalFees), esc(o.statusReason)]));
  $('positions').innerHTML = table(['product', 'size', 'entry', 'mark', 'unrealized', 'realized'], s.positions.map((p) => [esc(p.productId), esc(p.sizeBase), esc(p.averageEntryPrice), esc(p.markPrice), esc(p.unrealizedPnlQuote?.toFixed(2)), esc(p.realizedPnlQuote.toFixed(2))]))
    + table(['currency', 'available', 'hold'], s.balances.map((b) => [esc(b.currency), esc(b.available), esc(b.hold)]));
  const [series] = Object.entries(s.prices);
  if (series !== undefined) {
    $('price-title').textContent = 'Price ' + series[0] + ' with orders';
    line.setData(series[1].map((p) => ({ time: Math.floor(p.timeMs / 1000), value: p.close })));
    const first = series[1][0]?.timeMs ?? 0;
    markers.setMarkers(s.orders.filter((o) => o.productId === series[0].split('/')[0] && o.createdAtMs >= first).sort((a, b) => a.createdAtMs - b.createdAtMs).map((o) => ({
      time: Math.floor(series[1].reduce((best, p) => (p.timeMs <= o.createdAtMs ? p.timeMs : best), first) / 1000),
      position: o.side === 'BUY' ? 'belowBar' : 'aboveBar', color: o.side === 'BUY' ? '#3fb950' : '#f85149', shape: o.side === 'BUY' ? 'arrowUp' : 'arrowDown', text: o.side === 'BUY' ? 'B' : 'S' })));
    chart.timeScale().fitContent();
  }
}
async function refresh() {
  try { const response = await fetch('status.json', { cache: 'no-store' }); if (response.ok) render(await response.json()); }
  catch (error) { $('updated').textContent = 'could not refresh: ' + error.message; }
}
refresh(); setInterval(refresh, Number(document.body.dataset.refreshMs));
`;

/**
 * The health monitor's status page: a self-contained HTML page (chart library inlined, no network needed) that
 * polls `status.json` every `refreshMs` and shows the funnel, recent signals, recommendations with their
 * verdicts and reasons, orders, positions and PnL, balances, every check's health, the kill switch and the dead
 * letters (count per kind, the oldest few, the command that settles them).
 */
export function renderStatusPage(options: { readonly refreshMs: number }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tradepipe status</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body data-refresh-ms="${Math.max(500, Math.floor(options.refreshMs))}">
<header><h1>tradepipe</h1><span id="status" class="badge">…</span><span id="kill"></span><span id="updated" class="muted"></span><span class="muted">read-only</span></header>
<main>
<section style="grid-column:1/-1"><h2 id="price-title">Price</h2><div id="price"></div></section>
<section><h2>Funnel (work items by state)</h2><div id="funnel"></div></section>
<section><h2>Health of every service and dependency</h2><div id="health"></div></section>
<section><h2>Dead letters (failed for good, awaiting an operator)</h2><div id="dead-letters"></div></section>
<section><h2>Recent signals</h2><div id="signals"></div></section>
<section><h2>Positions, PnL and balances</h2><div id="positions"></div></section>
<section style="grid-column:1/-1"><h2>Recommendations, verdicts and reasons</h2><div id="recommendations"></div></section>
<section style="grid-column:1/-1"><h2>Orders</h2><div id="orders"></div></section>
</main>
<script>${lightweightCharts()}</script><script>${SCRIPT}</script></body></html>`;
}
