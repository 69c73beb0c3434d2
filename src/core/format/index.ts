export * from './model';
export { CnbookFormatError } from './errors';
export { parseNotebook, parseNotebookBytes } from './parse';
export { InvalidUtf8Error, type InvalidUtf8 } from './utf8';
export { printNotebook, withCellIds, type PrintOptions } from './print';
export { cellIdOf, CELL_ID_KEY } from './cellIds';
export { sameNotebook, stripLayout } from './equality';
