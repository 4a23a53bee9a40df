/** The admin HTTP API (/admin/api/*, see docs/operations.md), called with the saved session token. */
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

export interface Stats {
  node: string;
  nodes: string[];
  connections: number;
  onlineUsers: number;
  rooms: number;
  messages: number;
  msgsPerSec: number | null;
  nodeMsgsPerSec: number | null;
  windowSec: number;
  uptimeSec: number;
}
export interface AdminRoom {
  id: string;
  kind: string;
  members: number;
  lastSeq: number;
  readOnly: boolean;
}
export interface Ban {
  nameKey: string;
  name: string;
  reason: string;
  at: number;
}
export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: string;
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
    const e = data as { error?: string; message?: string };
    throw new AdminApiError(res.status, e.error ?? 'error', e.message ?? `HTTP ${res.status}`);
  }
  return data as T;
}
