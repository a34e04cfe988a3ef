/** Dependency-injection tokens shared by the Nest modules. */
export const EVENT_STORE = Symbol('EVENT_STORE');
export const KEYLEDGER_CONFIG = Symbol('KEYLEDGER_CONFIG');
/** The bootstrap bearer token (a string, or undefined): the first officer's on an empty ledger. */
export const BOOTSTRAP_TOKEN = Symbol('BOOTSTRAP_TOKEN');
