export { diffTable } from './engine';
export { sessionSide } from './sessionSide';
export { DiffSetupError } from './schema';
export type { DiffOptions, DiffResult, DiffSide, DiffProgress, KeyValues, DiffMethod } from './types';
