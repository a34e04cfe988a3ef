export * from './event-store';
export * from './errors';
export { SqliteEventStore, openSqliteEventStore, LEDGER_FILE_NAME } from './sqlite-event-store';
export { MAX_STREAM_NAME_LENGTH } from './arguments';
