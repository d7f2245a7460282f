// The RainMaker REST API as any client uses it (docs/api.md): the raw access token in
// `Authorization`, a refresh with the refresh token when a call answers 401 (as the
// RainMaker CLI does), and the API's own `description` as the error text.

const STORAGE_KEY = 'stratus.session';

/** What a login gives; kept in localStorage so a reload stays logged in. */
export interface Session {
  userName: string;
  accessToken: string;
  refreshToken: string;
}

/** A failed call: the API's `error_code` and `description`, or a network failure (code 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    description: string,
  ) {
    super(description);
  }
}

let session: Session | null = load();
const listeners = new Set<(s: Session | null) => void>();

function load(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    return s.accessToken && s.refreshToken ? s : null;
  } catch {
    return null;
  }
}

function store(next: Session | null): void {
  session = next;
  if (next) localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  else localStorage.removeItem(STORAGE_KEY);
  listeners.forEach((l) => l(next));
}

/** The current session, or null when logged out. */
export function currentSession(): Session | null {
  return session;
}

/** Calls `listener` whenever the session changes (login, refresh, logout); returns the unsubscriber. */
export function onSessionChange(listener: (s: Session | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

async function toError(response: Response): Promise<ApiError> {
  let code = 0;
  let description = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (typeof body?.description === 'string') description = body.description;
    if (typeof body?.error_code === 'number') code = body.error_code;
  } catch {
    // Not the API's JSON error shape: keep the HTTP status as the text.
  }
  return new ApiError(response.status, code, description);
}

async function send(method: string, path: string, body: unknown, token: string | null) {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 0, `The server cannot be reached (${(e as Error).message})`);
  }
}

let refreshing: Promise<boolean> | null = null;

/** Trades the refresh token for a new access token; false (and logged out) when refused. */
export function refresh(): Promise<boolean> {
  if (!session) return Promise.resolve(false);
  refreshing ??= (async () => {
    const s = session!;
    const r = await send('POST', '/v1/login2', { user_name: s.userName, refreshtoken: s.refreshToken }, null);
    if (!r.ok) {
      store(null);
      return false;
    }
    const body = await r.json();
    store({ ...s, accessToken: body.accesstoken, refreshToken: body.refreshtoken ?? s.refreshToken });
    return true;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/**
 * One API call with the session's token. A 401 is answered once with a refresh and a
 * retry. Resolves with the decoded JSON; rejects with an ApiError.
 */
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  let r = await send(method, path, body, session?.accessToken ?? null);
  if (r.status === 401 && session && (await refresh())) {
    r = await send(method, path, body, session?.accessToken ?? null);
  }
  if (!r.ok && r.status !== 207) throw await toError(r);
  const text = await r.text();
  return (text ? JSON.parse(text) : {}) as T;
}

/** Logs in with a user name (e-mail) and password. */
export async function login(userName: string, password: string): Promise<void> {
  const r = await send('POST', '/v1/login2', { user_name: userName, password }, null);
  if (!r.ok) throw await toError(r);
  const body = await r.json();
  store({ userName, accessToken: body.accesstoken, refreshToken: body.refreshtoken });
}

/** Ends this session on the server (best effort) and forgets it here. */
export async function logout(): Promise<void> {
  if (session) {
    await send('POST', '/v1/logout2', undefined, session.accessToken).catch(() => undefined);
  }
  store(null);
}

/** Starts a sign-up (the server mails a code), or confirms it with the code. */
export async function signUp(userName: string, password: string, code?: string): Promise<void> {
  const body = code ? { user_name: userName, verification_code: code } : { user_name: userName, password };
  const r = await send('POST', '/v1/user2', body, null);
  if (!r.ok) throw await toError(r);
}

/** Asks for a password-reset code, or sets the new password with it. */
export async function forgotPassword(userName: string, password?: string, code?: string): Promise<void> {
  const body = code ? { user_name: userName, password, verification_code: code } : { user_name: userName };
  const r = await send('PUT', '/v1/forgotpassword2', body, null);
  if (!r.ok) throw await toError(r);
}

/** Every node of the user with its details (GET /v1/user/nodes?node_details=true, all pages). */
export async function nodeDetails(): Promise<any[]> {
  const out: any[] = [];
  let start: string | undefined;
  do {
    const q = new URLSearchParams({ node_details: 'true', num_records: '100' });
    if (start) q.set('start_id', start);
    const page = await api('GET', `/v1/user/nodes?${q}`);
    out.push(...(page.node_details ?? []));
    start = page.next_id;
  } while (start);
  return out;
}
