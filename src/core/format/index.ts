export * from './model';
export { CnbookFormatError } from './errors';
export { parseNotebook } from './parse';
export { printNotebook, type PrintOptions } from './print';
export { sameNotebook, stripLayout } from './equality';
