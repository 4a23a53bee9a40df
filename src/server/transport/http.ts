/**
 * Plain HTTP routes beside the WebSocket endpoint: health, readiness, metrics, and the web UI's files.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

export interface HttpDeps {
  ready(): boolean;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Directory of the built web UI, or '' for none. */
  webDir: string;
  /** The admin API (src/server/admin), for paths under /admin/api/. */
  admin?: { prefix: string; handle(req: IncomingMessage, res: ServerResponse): Promise<void> };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

const NO_UI = `<!doctype html><meta charset="utf-8"><title>scale-chat</title>
<p>scale-chat is running. WebSocket endpoint: <code>/ws</code> (see docs/protocol.md). The web UI is not built on this server.</p>`;

export function createHttpHandler(deps: HttpDeps) {
  const root = deps.webDir ? path.resolve(deps.webDir) : '';
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    try {
      if (deps.admin && url.pathname.startsWith(deps.admin.prefix)) return await deps.admin.handle(req, res);
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
      switch (url.pathname) {
        case '/healthz':
          return send(200, 'application/json', '{"status":"ok"}\n');
        case '/readyz':
          return deps.ready() ? send(200, 'application/json', '{"status":"ready"}\n') : send(503, 'application/json', '{"status":"not ready"}\n');
        case '/metrics': {
          let m;
          try {
            m = await deps.metrics();
          } catch (err) {
            return send(503, 'text/plain', `metrics unavailable: ${(err as Error).message}\n`);
          }
          return send(200, m.contentType, m.body);
        }
      }
      if (!root) return url.pathname === '/' ? send(200, TYPES['.html'], NO_UI) : send(404, 'text/plain', 'not found\n');
      // Static files; unknown paths fall back to index.html (single-page app).
      let file = path.resolve(root, '.' + decodeURIComponent(url.pathname));
      if (!file.startsWith(root + path.sep) && file !== root) return send(404, 'text/plain', 'not found\n');
      if (!existsSync(file) || statSync(file).isDirectory()) file = path.join(root, 'index.html');
      if (!existsSync(file)) return send(404, 'text/plain', 'not found\n');
      const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
      const immutable = file.includes(`${path.sep}assets${path.sep}`);
      res.writeHead(200, { 'content-type': type, 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).pipe(res);
    } catch {
      if (!res.headersSent) send(500, 'text/plain', 'internal error\n');
      else res.destroy();
    }
  };
}
