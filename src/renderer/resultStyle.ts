/** Styles from VS Code's theme variables, so results follow light, dark and high-contrast themes. */
export const RESULT_STYLE = `
.cnbook-result { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
.cnbook-side-by-side { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-start; }
.cnbook-side-by-side > .cnbook-target { flex: 1 1 320px; min-width: 0; overflow-x: auto; }
.cnbook-target header { margin: 4px 0; }
.cnbook-target.odd { border-left: 3px solid var(--vscode-editorWarning-foreground); padding-left: 6px; }
.cnbook-odd { margin-left: 8px; font-weight: bold; color: var(--vscode-editorWarning-foreground); }
.cnbook-facts { margin-left: 8px; opacity: 0.8; }
.cnbook-compare { margin: 4px 0 8px; font-weight: bold; }
.cnbook-compare.differ, tr.differs td { color: var(--vscode-editorWarning-foreground); }
.cnbook-error { border-left: 3px solid var(--vscode-editorError-foreground); padding: 4px 8px; margin: 4px 0; white-space: pre-wrap; }
.cnbook-error-message { color: var(--vscode-editorError-foreground); font-weight: bold; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--vscode-editorWidget-border, #8884); padding: 2px 6px; text-align: left; white-space: pre; max-width: 40em; overflow: hidden; text-overflow: ellipsis; }
th { cursor: pointer; user-select: none; background: var(--vscode-editorWidget-background); }
th[data-sort="asc"]::after { content: " ▲"; }
th[data-sort="desc"]::after { content: " ▼"; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.null { font-style: italic; opacity: 0.6; }
.cnbook-cut { font-style: italic; opacity: 0.7; }
.cnbook-mark { width: 1.5em; text-align: center; }
.cnbook-footer { opacity: 0.75; margin: 2px 0 6px; }
.cnbook-actions { margin: 0 0 6px; }
.cnbook-action {
  color: var(--vscode-textLink-foreground); cursor: pointer; text-decoration: underline;
  background: none; border: none; padding: 0; font: inherit;
}
`;
