export { diffTable } from './engine';
export { sessionSide } from './sessionSide';
export { DiffSetupError } from './schema';
export { buildRepair, RepairError, type RepairScript } from './repair';
export type { DiffOptions, DiffResult, DiffSide, DiffProgress, KeyValues, DiffMethod } from './types';
