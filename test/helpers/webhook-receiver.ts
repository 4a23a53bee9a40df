/**
 * A real HTTP receiver for webhook tests, on port 0: records every request (headers, raw body, what it
 * answered), checks each signature the way docs/integration.md#3-webhooks tells a receiver to (HMAC-SHA256
 * of "<timestamp>.<body>", constant-time compare, timestamp within 5 minutes), and answers by a script:
 * `plan(n)` decides the n-th request's fate (a status, or 'reset': the socket destroyed unanswered).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookEvent } from '../../src/protocol/webhooks.js';

export interface Received {
  path: string;
  eventId: string;
  type: string;
  event: WebhookEvent;
  /** The signature matched the secret of its path and the timestamp was fresh. */
  valid: boolean;
  answered: Fate;
}

/** A status to answer, 'reset' (the socket destroyed unanswered) or 'hang' (never answered). */
export type Fate = number | 'reset' | 'hang';

export interface Receiver {
  url: (path?: string) => string;
  readonly requests: Received[];
  /** Secrets by path (set after the endpoint is created). */
  secrets: Map<string, string>;
  plan: (n: number, path: string) => Fate;
  /** Events answered 2xx, by event id (the count of 2xx answers for each). */
  delivered(path?: string): Map<string, { event: WebhookEvent; times: number }>;
  close(): Promise<void>;
}

export function verifySignature(secret: string, timestamp: string | undefined, signature: string | undefined, body: string, nowSec = Math.floor(Date.now() / 1000)): boolean {
  const ts = Number(timestamp);
  if (!Number.isSafeInteger(ts) || Math.abs(nowSec - ts) > 300) return false;
  const want = Buffer.from('v1=' + createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex'));
  const got = Buffer.from(signature ?? '');
  return got.length === want.length && timingSafeEqual(got, want);
}

export async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  let n = 0;
  const r: Receiver = {
    url: () => '',
    requests,
    secrets: new Map(),
    plan: () => 200,
    delivered(path) {
      const out = new Map<string, { event: WebhookEvent; times: number }>();
      for (const q of requests) {
        if ((path !== undefined && q.path !== path) || typeof q.answered !== 'number' || q.answered < 200 || q.answered > 299) continue;
        const had = out.get(q.eventId);
        if (had) had.times++;
        else out.set(q.eventId, { event: q.event, times: 1 });
      }
      return out;
    },
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const fate = r.plan(++n, path);
      const secret = r.secrets.get(path) ?? '';
      const h = (k: string) => (typeof req.headers[k] === 'string' ? (req.headers[k] as string) : undefined);
      let event: WebhookEvent;
      try {
        event = JSON.parse(body) as WebhookEvent;
      } catch {
        event = { id: '', type: 'message.created', ts: 0, data: {} } as unknown as WebhookEvent;
      }
      const valid =
        req.method === 'POST' &&
        h('content-type') === 'application/json' &&
        h('x-scalechat-event-id') === event.id &&
        verifySignature(secret, h('x-scalechat-timestamp'), h('x-scalechat-signature'), body);
      requests.push({ path, eventId: h('x-scalechat-event-id') ?? '', type: h('x-scalechat-event-type') ?? '', event, valid, answered: fate });
      if (fate === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fate === 'hang') return; // the server's timeout ends it
      res.writeHead(fate, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  r.url = (path = '/hook') => `http://127.0.0.1:${port}${path}`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}
