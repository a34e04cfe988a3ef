/** The timeouts the HTTP server gets from KEYLEDGER_REQUEST_TIMEOUT_MS (the 408 itself: test/e2e/slow-client.e2e.spec.ts). */
import { HEADERS_TIMEOUT_CAP_MS, httpTimeouts } from './http';

describe('httpTimeouts', () => {
  it.each<[number, number, number]>([
    [30_000, HEADERS_TIMEOUT_CAP_MS, 1000],
    [600_000, HEADERS_TIMEOUT_CAP_MS, 1000],
    [10_000, 10_000, 1000],
    [1000, 1000, 250],
    [100, 100, 25],
  ])('a request timeout of %i ms: headers within %i ms, checked every %i ms', (request, headers, check) => {
    expect(httpTimeouts(request)).toEqual({ requestMs: request, headersMs: headers, checkEveryMs: check });
  });
});
