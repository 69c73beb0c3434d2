export * from './model';
export { CnbookFormatError } from './errors';
export { parseNotebook } from './parse';
export { printNotebook } from './print';
export { sameNotebook, stripLayout } from './equality';
