/** The report page's stylesheet: readable tables, charts full width. */
export const PAGE_STYLE = `
:root { color-scheme: light; }
body { margin: 0; background: #f5f7fa; color: #1f2933; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0 0 16px; color: #52606d; }
header p.warning { color: #8a1c1c; background: #fdecea; border: 1px solid #f5c2c0; border-radius: 6px; padding: 8px 12px; font-weight: 600; }
section { background: #fff; border: 1px solid #e4e7eb; border-radius: 8px; padding: 16px 20px; margin: 0 0 16px; }
h2 { font-size: 16px; margin: 0 0 12px; }
h3 { font-size: 14px; margin: 16px 0 8px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eef1f4; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f5f7fa; font-weight: 600; }
table.funnel td { text-align: left; white-space: normal; }
table.stops td:nth-child(2) { text-align: left; }
.chart { width: 100%; height: 340px; }
.chart.short { height: 220px; }
#chart-funnel { width: 100%; height: 260px; display: block; }
.note { color: #616e7c; font-size: 12.5px; margin: 8px 0 0; }
.legend { display: flex; gap: 18px; margin: 0 0 8px; font-size: 13px; }
.legend-item i { display: inline-block; width: 14px; height: 3px; margin: 0 6px 3px 0; vertical-align: middle; }
.scroll { max-height: 420px; overflow: auto; }
footer { color: #7b8794; font-size: 12px; padding: 8px 0 24px; }
`;
