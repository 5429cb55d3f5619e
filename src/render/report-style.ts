// The report's stylesheet, inline in the page: system fonts only (no web fonts, nothing fetched),
// readable printed, and the SVG drawings styled by class so their markup stays small.
export const REPORT_CSS = `
:root {
  --fg: #1d2330; --muted: #5f6b7a; --line: #d5dbe3; --bg: #ffffff; --panel: #f6f8fa;
  --cap: #1f6feb; --cap-bg: #ddeafe; --does: #7b3fc4; --bad: #c62828; --bad-bg: #fde8e8;
  --warn: #a15c00; --warn-bg: #fff4e0; --ok: #1a7f37; --chg: #fff3b0;
  --mono: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif; }
main { max-width: 1500px; margin: 0 auto; padding: 0 24px 48px; }
header.top { background: #14213d; color: #f4f6fb; padding: 20px 24px 18px; }
header.top .inner { max-width: 1500px; margin: 0 auto; }
header.top h1 { margin: 0 0 4px; font-size: 22px; font-weight: 650; word-break: break-word; }
header.top .sub { color: #b9c3d6; font-size: 13px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 14px 0 0; font-size: 13px; }
dl.facts dt { color: #b9c3d6; }
dl.facts dd { margin: 0; word-break: break-word; }
dl.facts code, header.top code { color: #fff; background: rgba(255,255,255,.1); }
header.top a { color: #9ec5ff; }
nav.toc { position: sticky; top: 0; z-index: 2; background: var(--bg); border-bottom: 1px solid var(--line);
  padding: 8px 0; font-size: 13px; }
nav.toc a { margin-right: 16px; color: var(--cap); text-decoration: none; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 8px; }
h4 { font-size: 13px; margin: 14px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
code { background: var(--panel); padding: 0 3px; border-radius: 3px; }
.muted { color: var(--muted); }
.warn { color: var(--warn); }
.bad { color: var(--bad); }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 140px; background: var(--panel); }
.card .v { font-size: 20px; font-weight: 650; }
.card .k { font-size: 12px; color: var(--muted); }
.card.bad { border-color: var(--bad); background: var(--bad-bg); }
.callout { border-left: 4px solid var(--warn); background: var(--warn-bg); padding: 8px 14px; margin: 14px 0; border-radius: 4px; }
.callout.bad { border-color: var(--bad); background: var(--bad-bg); }
.callout ul { margin: 4px 0; padding-left: 20px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0 10px; }
th, td { border: 1px solid var(--line); padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.mark { color: var(--cap); text-align: center; }
tr.nocap td.mark { color: var(--muted); }
td.chg { background: var(--chg); }
table.hops code, table.points code { white-space: nowrap; }
table.conntrack td { white-space: nowrap; }
table.sightings td { font-family: var(--mono); font-size: 12px; white-space: nowrap; }
table.sightings td code { background: none; padding: 0; }
table.sightings td.wrap { white-space: normal; min-width: 150px; font-size: 11.5px; }
.does { color: var(--does); }
ul.findings { list-style: none; padding: 0; margin: 4px 0; }
ul.findings li { margin: 3px 0; font-family: var(--mono); font-size: 12.5px; }
.where { color: var(--muted); font-size: 11.5px; }
.badge { display: inline-block; min-width: 92px; text-align: center; border-radius: 10px; padding: 0 8px;
  font: 600 11px/18px system-ui, sans-serif; background: #e8ecf1; color: #334; }
.badge.nat { background: #efe4fb; color: var(--does); }
.badge.tun { background: var(--cap-bg); color: #0b4fb3; }
.badge.rt { background: #e3f4e8; color: var(--ok); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
details.journey { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; background: var(--bg); }
details.journey > summary { cursor: pointer; padding: 7px 12px; background: var(--panel); border-radius: 8px;
  font-size: 13px; }
details.journey[open] > summary { border-bottom: 1px solid var(--line); border-radius: 8px 8px 0 0; }
.jbody { padding: 4px 14px 10px; }
.jn { font-weight: 700; font-family: var(--mono); }
.jsum { font-family: var(--mono); font-size: 12px; }
.dir { display: inline-block; border-radius: 3px; padding: 0 6px; font-size: 11px; font-weight: 600; }
.dir.request { background: var(--cap-bg); color: #0b4fb3; }
.dir.reply { background: #e3f4e8; color: var(--ok); }
p.meta { color: var(--muted); margin: 6px 0; font-size: 12.5px; }
p.note { color: var(--warn); font-size: 12px; margin: 2px 0 6px; }
table.overview td { font-size: 12px; }
table.overview td.what { font-family: var(--mono); font-size: 11.5px; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 8px; overflow-x: auto; font-size: 12px;
  font-family: var(--mono); white-space: pre-wrap; word-break: break-all; }
footer { color: var(--muted); font-size: 12px; margin-top: 36px; border-top: 1px solid var(--line); padding-top: 8px; }
svg { font-family: var(--mono); display: block; }
svg .frame { fill: #fbfcfd; stroke: #9aa7b8; stroke-width: 1.5; }
svg .frame.ext { fill: #fffdf7; stroke-dasharray: 6 4; }
svg .frame-label { font: 700 14px system-ui, sans-serif; fill: #14213d; }
svg .bridge { fill: #f1f5fb; stroke: #b7c4d6; }
svg .bridge.ex { fill: #f3f8f1; stroke: #b9cfb3; }
svg .bridge-label { font: 600 11.5px system-ui, sans-serif; fill: #4a5a70; }
svg .context { font-size: 10px; fill: #7a8696; }
svg .netns { fill: #fff8ec; stroke: #e0b973; stroke-dasharray: 4 3; }
svg .netns-label { font: 600 10.5px system-ui, sans-serif; fill: #8a5a00; }
svg .hop { stroke-width: 1.6; }
svg .hop.cap { fill: var(--cap-bg); stroke: var(--cap); }
svg .hop.nocap { fill: #ffffff; stroke: #8d7ab8; stroke-dasharray: 5 3; }
svg .hop.missed { fill: var(--warn-bg); stroke: var(--warn); stroke-dasharray: 2 2; }
svg .hop.bad { stroke: var(--bad); stroke-width: 2.4; }
svg .hop-title { font-size: 12px; font-weight: 700; fill: #333a46; }
svg .hop-title.cap { fill: #0b3f91; }
svg .hl { font-size: 11px; fill: #333a46; }
svg .hl.cap { fill: #0b4fb3; }
svg .hl.does { fill: var(--does); }
svg .hl.seen { fill: #1a5e2f; }
svg .hl.bad, svg .hl.warn { fill: var(--bad); }
svg .hl.muted { fill: #6f7a88; }
svg .link { fill: none; stroke: var(--cap); stroke-width: 2.4; }
svg .link.via { stroke: #8d7ab8; }
svg .link-head { fill: var(--cap); }
svg .link-label { font: 600 11px system-ui, sans-serif; fill: #4a5a70; }
svg .legend { font: 11.5px system-ui, sans-serif; fill: var(--muted); }
svg.timing { margin: 2px 0 4px; }
svg .stripe { fill: #f5f7fa; }
svg .node-sep { stroke: #9aa7b8; stroke-dasharray: 3 3; }
svg .tick { stroke: #e3e7ec; }
svg .axis { font-size: 10px; fill: var(--muted); }
svg .row-label { font-size: 11px; fill: #333a46; }
svg .bar { fill: #7fb0f5; stroke: var(--cap); }
svg .bar.nc { fill: #ffe3bd; stroke: var(--warn); stroke-dasharray: 3 2; }
svg .drop { stroke: #c4ccd6; stroke-dasharray: 2 2; }
svg .dot { fill: var(--cap); }
svg .delta { font-size: 11px; fill: #0b3f91; }
svg .delta.nc { fill: var(--warn); }
svg .dup { font-size: 10px; fill: var(--bad); }
.nc { color: var(--warn); }
@media print { nav.toc { position: static; } header.top { background: none; color: var(--fg); }
  dl.facts dt, header.top .sub { color: var(--muted); } dl.facts code { color: var(--fg); } }
`;
