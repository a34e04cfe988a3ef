/**
 * The CLI's HTTP client for the keyledger service: `KEYLEDGER_URL` (default http://127.0.0.1:8080)
 * and `KEYLEDGER_TOKEN` (default: the token file in `KEYLEDGER_DATA_DIR`, default ./data). Errors
 * carry the problem+json `detail` so the operator reads what the service said.
 *
 * Light on purpose: every operator command loads this and nothing of the service (see main.ts).
 */
import * as path from 'node:path';
import { TOKEN_FILE_NAME, readTokenFile } from '../api/api-token';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly problem: Record<string, unknown> | undefined,
  ) {
    super(detail);
  }
}

/** A usage or configuration problem on the operator's side (exit code 2). */
export class UsageError extends Error {}

/** An approval request as the service answers it. */
export interface ApprovalJson {
  approvalId: string;
  status: string;
  action: string;
  params: Record<string, unknown>;
  requestedBy: string;
  requestedAt: string;
  required: number;
  approvals: { by: string; at: string }[];
  expiresAt: string;
  rejection: { by: string; at: string; reason: string } | null;
  outcome:
    | { status: 'executed'; by: string; at: string; result: Record<string, unknown> }
    | { status: 'failed'; by: string; at: string; reason: string }
    | null;
  token?: string;
}

/**
 * The service answered 202: the policy made the command an approval request, nothing ran yet.
 * Not a failure, not a success either: exit code 3, so a script does not carry on as if it ran.
 */
export class AwaitingApproval extends Error {
  constructor(readonly approval: ApprovalJson) {
    super(
      `approval ${approval.approvalId} requested: ${approval.action} waits for ${approval.required} officer approval(s) until ${approval.expiresAt}; nothing ran yet (approve with: keyledger approvals approve ${approval.approvalId})`,
    );
  }
}

export interface ClientSettings {
  readonly url: string;
  readonly token: string | undefined;
}

/**
 * The service URL as every CLI message shows it: whatever precedes its last `@` after the scheme
 * (a user name and password, even one holding `/` or `@`) becomes `***`: no message carries a
 * secret. Callers redact before cutting the URL short, so no part of one shows.
 */
export const shownUrl = (url: string): string =>
  url.replace(/^((?:[a-z][a-z0-9+.-]*:)?\/\/)?.*@/is, '$1***@');

export function clientSettings(env: NodeJS.ProcessEnv = process.env): ClientSettings {
  const url = (env.KEYLEDGER_URL?.trim() || DEFAULT_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(url))
    throw new UsageError(
      `KEYLEDGER_URL must be an http:// or https:// URL, got "${shownUrl(url).slice(0, 60)}"`,
    );
  // Node's fetch refuses such a URL before connecting, so it could never work; the token is the credential.
  if (shownUrl(url) !== url)
    throw new UsageError(
      `KEYLEDGER_URL must not hold a user name or password, got "${shownUrl(url).slice(0, 60)}"; the service takes KEYLEDGER_TOKEN`,
    );
  const fromEnv = env.KEYLEDGER_TOKEN?.trim();
  if (fromEnv) return { url, token: fromEnv };
  const file = path.join(path.resolve(env.KEYLEDGER_DATA_DIR?.trim() || './data'), TOKEN_FILE_NAME);
  return { url, token: readTokenFile(file) };
}

export class ApiClient {
  constructor(private readonly settings: ClientSettings) {}

  get<T>(p: string): Promise<T> {
    return this.request<T>('GET', p);
  }

  /** Without `body`, a POST with no body (and no content type), as the body-less routes take it. */
  post<T>(p: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', p, body);
  }

  delete<T>(p: string): Promise<T> {
    return this.request<T>('DELETE', p);
  }

  put<T>(p: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', p, body);
  }

  patch<T>(p: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', p, body);
  }

  async request<T>(method: string, p: string, body?: unknown): Promise<T> {
    const { response, text } = await this.exchange(
      method,
      p,
      body,
      'application/json, application/problem+json',
    );
    const json = parseOrUndefined(text);
    if (response.status === 202) throw new AwaitingApproval(json as ApprovalJson);
    return json as T;
  }

  /** A GET whose answer is text in any media type (a report as CSV or HTML), with its headers. */
  async getText(p: string): Promise<{ text: string; headers: Headers }> {
    const { response, text } = await this.exchange('GET', p, undefined, '*/*');
    return { text, headers: response.headers };
  }

  /** Sends one request; a non-2xx answer becomes an `ApiError` with the problem's detail. */
  private async exchange(
    method: string,
    p: string,
    body: unknown,
    accept: string,
  ): Promise<{ response: Response; text: string }> {
    const headers: Record<string, string> = { accept };
    if (this.settings.token !== undefined) headers.authorization = `Bearer ${this.settings.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.settings.url}${p}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new ApiError(
        0,
        `cannot reach the keyledger service at ${shownUrl(this.settings.url)}${cause ? ` (${cause})` : ''}; is it running? (KEYLEDGER_URL)`,
        undefined,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      const json = parseOrUndefined(text);
      const problem =
        typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : undefined;
      const detail =
        typeof problem?.detail === 'string' ? problem.detail : `${response.status} ${response.statusText}`;
      const hint =
        response.status === 401 && this.settings.token === undefined
          ? ' (no token: set KEYLEDGER_TOKEN or KEYLEDGER_DATA_DIR)'
          : '';
      throw new ApiError(response.status, `${detail}${hint}`, problem);
    }
    return { response, text };
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Path segment encoding for ids and names taken from the command line. */
export const seg = (value: string): string => encodeURIComponent(value);

/** Prints `value` as JSON (`--json`) or through `text` for a person. */
export function output(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

/** Left-aligned columns, for lists a person reads. */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '))
    .join('\n');
}

export const abbr = (sha: string | null | undefined): string => (sha ? `${sha.slice(0, 12)}…` : '-');

/** Shown for text a person reads: control characters (a label is free text) would garble the table. */
export const printable = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export interface HsmJson {
  hsmId: string;
  name: string;
  endpoint: string;
  kekDomainId: string | null;
  capacity: number;
  status: string;
  residentKeys: number;
  registeredAt: string;
}

/**
 * `name (id)` for the HSM ids a response names, from one `GET /v1/hsms`; an id the service no
 * longer lists (or a fallback name the caller has, e.g. an event's `hsmName`) is shown as it is.
 */
export async function hsmNamer(api: ApiClient): Promise<(hsmId: string, fallbackName?: string) => string> {
  const names = new Map((await api.get<HsmJson[]>('/v1/hsms')).map((h) => [h.hsmId, h.name]));
  return (hsmId, fallbackName) => {
    const name = names.get(hsmId) ?? fallbackName;
    return name === undefined ? hsmId : `${name} (${hsmId})`;
  };
}
