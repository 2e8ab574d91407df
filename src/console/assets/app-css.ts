/** The console's style sheet. */
export const APP_CSS = String.raw`
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; background: #f4f6f9; }
header { display: flex; align-items: center; gap: 24px; padding: 0 20px; height: 48px; background: #1f3b63; color: #fff; }
header .brand { font-weight: 700; letter-spacing: .02em; }
nav a { color: #c9d7ee; text-decoration: none; margin-right: 18px; padding: 14px 0; }
nav a.active, nav a:hover { color: #fff; border-bottom: 2px solid #ffb547; }
#status { margin-left: auto; font-size: 12px; color: #c9d7ee; }
main { padding: 16px 20px 40px; max-width: 1400px; }
h1 { font-size: 20px; margin: 8px 0 12px; }
h2 { font-size: 16px; margin: 22px 0 8px; }
.card { background: #fff; border: 1px solid #dde3ec; border-radius: 6px; padding: 12px 14px; margin-bottom: 14px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #e8ecf2; vertical-align: top; }
th { background: #eef2f7; font-weight: 600; font-size: 12px; color: #4a5568; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:hover td { background: #f8fafc; }
a { color: #1f5fbf; }
.muted { color: #718096; font-size: 12px; }
.error { color: #b42318; background: #fef3f2; border: 1px solid #fecdca; padding: 6px 10px; border-radius: 4px; margin: 8px 0; }
.ok { color: #05603a; background: #ecfdf3; border: 1px solid #abefc6; padding: 6px 10px; border-radius: 4px; margin: 8px 0; }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 11px; background: #e2e8f0; color: #2d3748; }
.tag.MASTER, .tag.normal { background: #d1fadf; color: #05603a; }
.tag.SLAVE, .tag.retry { background: #fef0c7; color: #93370d; }
.tag.dlq { background: #fee4e2; color: #912018; }
form { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; }
label { display: flex; flex-direction: column; font-size: 12px; color: #4a5568; gap: 2px; }
input, select, textarea { font: inherit; padding: 5px 8px; border: 1px solid #cbd5e1; border-radius: 4px; background: #fff; }
textarea { min-width: 420px; min-height: 70px; }
button { font: inherit; padding: 6px 14px; border: 0; border-radius: 4px; background: #1f5fbf; color: #fff; cursor: pointer; }
button.secondary { background: #e2e8f0; color: #1d2330; }
pre.body { background: #0f172a; color: #e2e8f0; padding: 10px; border-radius: 4px; overflow: auto; max-height: 260px; white-space: pre-wrap; word-break: break-all; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; }
.kv td:first-child { color: #4a5568; width: 180px; white-space: nowrap; }
svg.chart { width: 100%; height: auto; background: #fff; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #4a5568; }
svg.chart .grid { stroke: #edf1f6; }
svg.chart .axis { stroke: #a0aec0; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; vertical-align: -1px; }
.stat { display: inline-block; margin-right: 28px; }
.stat b { display: block; font-size: 22px; }
`;
