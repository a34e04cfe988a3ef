/** Dependency-injection tokens shared by the Nest modules. */
export const EVENT_STORE = Symbol('EVENT_STORE');
export const KEYLEDGER_CONFIG = Symbol('KEYLEDGER_CONFIG');
