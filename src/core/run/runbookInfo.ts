import type { Notebook } from '../format/model';
import { parseAnnotations } from '../sql/annotations';

/** What a runbook declares or implies about the roles and parameters it needs. */
export interface RunbookInfo {
  title: string;
  declaredRoles: string[] | undefined;
  /** Every name used in `-- @on` (except `all`), in order of first use. */
  namesUsed: string[];
  defaultRole: string;
  params: Record<string, string | null>;
}

export function runbookInfo(notebook: Notebook): RunbookInfo {
  const fm = notebook.frontMatter;
  const declaredRoles = Array.isArray(fm.roles) ? fm.roles.map(String) : undefined;
  const namesUsed: string[] = [];
  for (const cell of notebook.cells) {
    if (cell.kind !== 'code' || cell.language !== 'sql') continue;
    for (const name of parseAnnotations(cell.source).annotations.on) {
      if (name !== 'all' && !namesUsed.includes(name)) namesUsed.push(name);
    }
  }
  const defaultRole = typeof fm.defaultRole === 'string' ? fm.defaultRole : (declaredRoles?.[0] ?? 'primary');
  return {
    title: typeof fm.title === 'string' ? fm.title : '',
    declaredRoles,
    namesUsed,
    defaultRole,
    params: paramsOf(fm.params),
  };
}

function paramsOf(value: unknown): Record<string, string | null> {
  if (typeof value !== 'object' || value === null) return {};
  const params: Record<string, string | null> = {};
  for (const [name, def] of Object.entries(value))
    params[name] = def === null || def === undefined ? null : String(def);
  return params;
}

/** Roles the profile must map: declared ones, plus `@on` names that are not connection names. */
export function requiredRoles(info: RunbookInfo, connectionNames: readonly string[]): string[] {
  const roles = new Set(info.declaredRoles ?? []);
  for (const name of info.namesUsed) if (!connectionNames.includes(name)) roles.add(name);
  if (info.namesUsed.length === 0 && !info.declaredRoles) roles.add(info.defaultRole);
  return [...roles];
}

/**
 * Declared parameter defaults overridden by given values. One with neither is left out: only a cell that
 * uses it needs it (see params.ts, which says which cell and asks or fails before anything runs).
 */
export function settleParams(info: RunbookInfo, given: Record<string, string>): Record<string, string> {
  const settled: Record<string, string> = {};
  for (const [name, def] of Object.entries(info.params)) {
    const value = given[name] ?? def;
    if (value !== null) settled[name] = value;
  }
  for (const [name, value] of Object.entries(given)) {
    if (!(name in info.params))
      throw new Error(`parameter '${name}' is not declared in the runbook's front matter (params:)`);
    settled[name] = value;
  }
  return settled;
}
