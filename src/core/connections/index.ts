export * from './model';
export * from './config';
export * from './resolve';
export * from './redact';
export * from './url';
export * from './pgpass';
export * from './service';
