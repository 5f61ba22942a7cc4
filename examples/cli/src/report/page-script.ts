/**
 * The page's script, run in the browser after TradingView's Lightweight Charts (standalone build, the global
 * `LightweightCharts`). It reads the chart data from the `report-data` JSON island, draws the price with trade
 * markers, equity beside the baselines, the drawdown and the funnel, then marks `body[data-charts-ready]`.
 * Text from the data reaches the page only through `textContent` and canvas `fillText`, never as markup.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var LC = window.LightweightCharts;
  var colors = ['#2962ff', '#ef6c00', '#2e7d32', '#8e24aa'];
  var baseOptions = {
    autoSize: true,
    layout: { background: { type: 'solid', color: '#ffffff' }, textColor: '#1f2933', attributionLogo: false },
    grid: { vertLines: { color: '#eef1f4' }, horzLines: { color: '#eef1f4' } },
    timeScale: { timeVisible: data.intraday, secondsVisible: false, borderColor: '#cbd2d9' },
    rightPriceScale: { borderColor: '#cbd2d9' },
    crosshair: { mode: 0 }
  };
  var charts = [];
  function chartIn(id) {
    var chart = LC.createChart(document.getElementById(id), baseOptions);
    charts.push(chart);
    return chart;
  }
  function points(line) {
    var out = new Array(line.times.length);
    for (var i = 0; i < line.times.length; i++) out[i] = { time: line.times[i], value: line.values[i] };
    return out;
  }

  var price = chartIn('chart-price');
  var candles = price.addSeries(LC.CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350', wickUpColor: '#26a69a', wickDownColor: '#ef5350', borderVisible: false });
  var bars = new Array(data.price.times.length);
  for (var i = 0; i < bars.length; i++) bars[i] = { time: data.price.times[i], open: data.price.open[i], high: data.price.high[i], low: data.price.low[i], close: data.price.close[i] };
  candles.setData(bars);
  var markers = new Array(data.markers.times.length);
  for (var m = 0; m < markers.length; m++) {
    var buy = data.markers.buy[m] === 1;
    markers[m] = { time: data.markers.times[m], position: buy ? 'belowBar' : 'aboveBar', color: buy ? '#1565c0' : '#c62828', shape: buy ? 'arrowUp' : 'arrowDown', text: markers.length <= 12 ? (buy ? 'BUY ' : 'SELL ') + data.markers.priceQuote[m] : '' };
  }
  LC.createSeriesMarkers(candles, markers);
  price.timeScale().fitContent();

  var equity = chartIn('chart-equity');
  var legend = document.getElementById('equity-legend');
  data.equity.forEach(function (line, index) {
    var series = equity.addSeries(LC.LineSeries, { color: colors[index % colors.length], lineWidth: index === 0 ? 3 : 2, title: line.label, priceLineVisible: false });
    series.setData(points(line));
    var item = document.createElement('span');
    item.className = 'legend-item';
    var swatch = document.createElement('i');
    swatch.style.background = colors[index % colors.length];
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(line.label));
    legend.appendChild(item);
  });
  equity.timeScale().fitContent();

  var drawdown = chartIn('chart-drawdown');
  var area = drawdown.addSeries(LC.AreaSeries, { lineColor: '#c62828', topColor: 'rgba(198,40,40,0.05)', bottomColor: 'rgba(198,40,40,0.45)', invertFilledArea: false, priceFormat: { type: 'custom', formatter: function (v) { return v.toFixed(2) + ' %'; } } });
  area.setData(points(data.drawdown));
  drawdown.timeScale().fitContent();

  // The time axes move together.
  charts.forEach(function (source) {
    source.timeScale().subscribeVisibleLogicalRangeChange(function () {
      var range = source.timeScale().getVisibleRange();
      if (!range) return;
      charts.forEach(function (target) { if (target !== source) { try { target.timeScale().setVisibleRange(range); } catch (e) { /* a chart with no data in range */ } } });
    });
  });

  var funnelCanvas = document.getElementById('chart-funnel');
  var tooltip = document.getElementById('funnel-tooltip');
  var hovered = -1;
  function drawFunnel() {
    var ratio = window.devicePixelRatio || 1;
    var width = funnelCanvas.clientWidth, height = funnelCanvas.clientHeight;
    funnelCanvas.width = Math.round(width * ratio);
    funnelCanvas.height = Math.round(height * ratio);
    var context = funnelCanvas.getContext('2d');
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    var counts = data.funnel.counts, labels = data.funnel.labels;
    var max = Math.max.apply(null, counts.concat([1]));
    var rowHeight = height / counts.length, labelWidth = 170;
    context.font = '13px system-ui, sans-serif';
    context.textBaseline = 'middle';
    for (var k = 0; k < counts.length; k++) {
      var y = k * rowHeight;
      var barWidth = Math.max(2, (width - labelWidth - 70) * counts[k] / max);
      context.fillStyle = k === hovered ? '#0d47a1' : colors[0];
      context.globalAlpha = 1 - k * 0.07;
      context.fillRect(labelWidth, y + rowHeight * 0.15, barWidth, rowHeight * 0.7);
      context.globalAlpha = 1;
      context.fillStyle = '#1f2933';
      context.textAlign = 'right';
      context.fillText(labels[k], labelWidth - 10, y + rowHeight / 2);
      context.textAlign = 'left';
      context.fillText(String(counts[k]), labelWidth + barWidth + 8, y + rowHeight / 2);
    }
  }
  funnelCanvas.addEventListener('mousemove', function (event) {
    var row = Math.floor(event.offsetY / (funnelCanvas.clientHeight / data.funnel.counts.length));
    if (row !== hovered) { hovered = row; drawFunnel(); }
    var previous = row > 0 ? data.funnel.counts[row - 1] : null;
    var share = previous ? ' (' + (100 * data.funnel.counts[row] / previous).toFixed(1) + ' % of the step before)' : '';
    tooltip.textContent = data.funnel.labels[row] + ': ' + data.funnel.counts[row] + share;
  });
  funnelCanvas.addEventListener('mouseleave', function () { hovered = -1; tooltip.textContent = ''; drawFunnel(); });
  window.addEventListener('resize', drawFunnel);
  drawFunnel();

  requestAnimationFrame(function () { requestAnimationFrame(function () { document.body.setAttribute('data-charts-ready', 'true'); }); });
})();
`;
