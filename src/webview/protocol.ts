/** Messages between the Investigation Map webview and the extension; no vscode import on either side. */
import type { MapState } from '../core/diagnosis/mapState';

export type { MapChart, MapState } from '../core/diagnosis/mapState';

export type ToWebview = { type: 'update'; state: MapState };
export type FromWebview =
  | { type: 'reveal'; chart: string; node: string }
  | { type: 'revealCell'; cell: number }
  | { type: 'rendered'; chart: string; ms: number; nodeClasses: Record<string, string[]> }
  | { type: 'exportSvg'; chart: string; svg: string }
  | { type: 'error'; message: string };
