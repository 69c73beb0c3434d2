/** Messages between the Investigation Map webview and the extension; no vscode import on either side. */
import type { MapState } from '../core/diagnosis/mapState';

export type { MapChart, MapState } from '../core/diagnosis/mapState';

export type ToWebview = { type: 'update'; state: MapState };
export type FromWebview =
  | { type: 'reveal'; chart: string; node: string }
  | { type: 'revealCell'; cell: number; cellId: string | null }
  | {
      type: 'rendered';
      chart: string;
      ms: number;
      nodeClasses: Record<string, string[]>;
      /** What the page shows above the chart: the headline and the problem list (tests read it). */
      headline: string;
      problems: string[];
      /** The escalation line as shown ('' before a type is known), and whether it is marked overdue. */
      escalation: { text: string; due: boolean };
    }
  | { type: 'exportSvg'; chart: string; svg: string }
  | { type: 'error'; message: string };

/** The map page's body markup, without the script: one copy for the panel and the browser tests. */
export const MAP_BODY_HTML =
  '<header><div id="headline">Run probe cells to see the investigation path.</div><div id="escalation"></div>' +
  '<div id="next"></div><ol id="problems"></ol></header><nav id="tabs"></nav>' +
  '<button id="export" title="Save the chart as SVG">Export SVG</button><main id="chart"></main>';
