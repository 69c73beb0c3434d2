export * from './charts';
export * from './model';
export { classify } from './classify';
export { bearsOn, diagnose, diagnosisHeadline } from './engine';
export { chartToMermaid, mermaidText, cssName } from './mermaid';
export { buildMapState } from './mapState';
export type { MapChart, MapState } from './mapState';
export { runbookSteps, cellForNextStep } from './steps';
export type { RunbookStep, StepSource } from './steps';
