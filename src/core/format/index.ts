export * from './model';
export { CnbookFormatError } from './errors';
export { parseNotebook, parseNotebookBytes } from './parse';
export { InvalidUtf8Error, type InvalidUtf8 } from './utf8';
export { printNotebook, type PrintOptions } from './print';
export { sameNotebook, stripLayout } from './equality';
