/**
 * The admin HTTP API (/admin/api/*, see docs/operations.md), called with the saved session token. Its
 * request and response bodies are the server's own types (src/protocol/admin.ts).
 */
import type { AdminErrorBody } from '../../../src/protocol/admin.js';
import { loadSession } from '../chat/session.js';

export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function adminCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  const token = loadSession()?.token;
  if (!token) throw new AdminApiError(401, 'unauthorized', 'sign in to the chat first');
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/admin/api/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data: unknown;
  try {
    data = await res.json();
  } catch {
    throw new AdminApiError(res.status, 'bad_response', `the server answered ${res.status} without JSON`);
  }
  if (!res.ok) {
    const e = data as Partial<AdminErrorBody>;
    throw new AdminApiError(res.status, e.error ?? 'error', e.message ?? `HTTP ${res.status}`);
  }
  return data as T;
}
