/**
 * The closed set of error categories (docs/style.md §8). Every error class that can reach the API declares
 * one where it is defined, as `static readonly category`, so the API edge maps categories to HTTP
 * statuses and never needs to know the concrete classes (src/api/problem.ts). A static member lets
 * a test check every class without constructing it (test/errors/categories.spec.ts).
 *
 * It lives in the domain because the domain may import nothing outside itself; the other layers
 * import it from here.
 */
export const ERROR_CATEGORIES = [
  /** The named key, HSM, KEK domain, blob, copy or operation does not exist. */
  'not-found',
  /** The custody rules (or a concurrent writer) refuse the request in the ledger's current state. */
  'conflict',
  /** The request is understood but its input cannot be processed. */
  'invalid',
  /** The caller may not do this. */
  'forbidden',
  /** The HSM answered with an error status, broke the protocol or could not be reached. */
  'hsm-failure',
  /** A store the service depends on (ledger, read models, secret store) cannot be used now. */
  'unavailable',
  /** A bug or a tampered ledger, never the caller's fault: said nothing about, and logged. */
  'internal',
] as const;

export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** The category an error class declares (its own or inherited `static category`); undefined if none. */
export function declaredCategory(errorClass: unknown): ErrorCategory | undefined {
  if (typeof errorClass !== 'function') return undefined;
  const category: unknown = (errorClass as { category?: unknown }).category;
  return ERROR_CATEGORIES.find((c) => c === category);
}

/** The category of a thrown value: what its class declares. */
export function errorCategory(error: unknown): ErrorCategory | undefined {
  return typeof error === 'object' && error !== null ? declaredCategory(error.constructor) : undefined;
}

/**
 * What an error may add to its RFC 9457 problem besides `type` and its message, read by the API
 * edge. Neither member may hold a PIN, a token or blob bytes.
 */
export interface ProblemExtras {
  /** The problem's `detail`, when it should say more than the message. */
  readonly problemDetail?: string;
  /** Extension members (RFC 9457 §3.2), e.g. the libhal status of an HSM error. */
  readonly problemExtensions?: Readonly<Record<string, unknown>>;
}
