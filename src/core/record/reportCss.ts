/** The report's one stylesheet, inline: light and dark from the reader's setting, and a print layout. */
export const REPORT_CSS = `
:root { --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --line: #d1d9e0; --link: #0969da;
  --ok: #1a7f37; --warning: #9a6700; --critical: #cf222e; --unknown: #59636e; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23; --line: #3d444d; --link: #4493f8;
    --ok: #3fb950; --warning: #d29922; --critical: #f85149; --unknown: #9198a1; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.8em; margin: 0 0 12px; }
h2 { font-size: 1.3em; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 1.05em; margin: 20px 0 6px; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; }
.unset { color: var(--muted); font-style: italic; }
.summary { font-size: 1.05em; }
.sev { display: inline-block; min-width: 5.5em; padding: 0 6px; border-radius: 10px; border: 1px solid currentColor;
  font-size: 0.8em; font-weight: 600; text-align: center; text-transform: uppercase; }
.sev-ok { color: var(--ok); } .sev-warning { color: var(--warning); }
.sev-critical { color: var(--critical); } .sev-unknown { color: var(--unknown); }
article.problem { border-left: 4px solid var(--line); padding: 4px 12px; margin: 12px 0; background: var(--panel); }
article.problem.sev-critical { border-left-color: var(--critical); color: inherit; }
article.problem.sev-warning { border-left-color: var(--warning); color: inherit; }
article.problem h3 { margin-top: 4px; }
figure { margin: 12px 0 20px; overflow-x: auto; }
figcaption { color: var(--muted); font-size: 0.9em; }
svg.cn-map { color: var(--fg); max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 8px 0; font-size: 0.9em; display: block; overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.null { color: var(--muted); font-style: italic; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px;
  overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.88em; }
ul.actions { list-style: none; padding-left: 0; }
ul.actions li::before { content: "☐ "; }
ul.findings { padding-left: 18px; }
.cell-meta { color: var(--muted); }
.note { color: var(--muted); font-size: 0.9em; }
.error { color: var(--critical); white-space: pre-wrap; }
.prose { border-left: 3px solid var(--line); padding-left: 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 0.85em; }
@media print {
  :root { --fg: #000; --muted: #444; --bg: #fff; --panel: #f4f4f4; --line: #bbb; }
  main { max-width: none; padding: 0; }
  article, figure, table, pre { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  table { display: table; }
}
`;
