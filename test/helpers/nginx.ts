/**
 * A real nginx (Debian package nginx) in front of test nodes, running deploy/nginx.conf itself: only the
 * listen address, the upstream servers, logs, pid and temp paths are rewritten for a temp prefix, so the
 * tests exercise the WebSocket settings the deployment uses. `daemon off`: a child process we stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canConnect, captureOutput, findBinary, freePort, isRoot, stopChild, waitUntil } from './binaries.js';

export function nginxMissing(): string | null {
  return findBinary('nginx') ? null : 'SKIPPED: nginx not installed (Debian package nginx)';
}

/** deploy/nginx.conf of this checkout (tests run from dist/test/helpers or test/helpers). */
export function deployNginxConf(): string {
  for (const up of ['../../../deploy/nginx.conf', '../../deploy/nginx.conf']) {
    const p = fileURLToPath(new URL(up, import.meta.url));
    try {
      return readFileSync(p, 'utf8');
    } catch {
      // next
    }
  }
  throw new Error('deploy/nginx.conf not found');
}

/** Rewrites deploy/nginx.conf for a test prefix: listen port, upstreams, logs, pid, temp paths. */
export function renderNginxConf(template: string, opts: { port: number; upstreams: readonly (number | string)[]; prefix: string }): string {
  const servers = opts.upstreams.map((p) => `    server ${typeof p === 'number' ? `127.0.0.1:${p}` : p} max_fails=0;`).join('\n');
  let conf = template;
  const swap = (re: RegExp, to: string) => {
    if (!re.test(conf)) throw new Error(`deploy/nginx.conf: expected ${re} (the test renders this file)`);
    conf = conf.replace(re, to);
  };
  swap(/^worker_processes .*;$/m, `daemon off;\n${isRoot() ? 'user root;\n' : ''}pid ${opts.prefix}/nginx.pid;\nerror_log ${opts.prefix}/error.log warn;\nworker_processes 1;`);
  swap(/^worker_rlimit_nofile .*;$/m, 'worker_rlimit_nofile 16384;');
  swap(/worker_connections \d+;/, 'worker_connections 8192;');
  swap(/^(?:[ \t]*server chat\d+:8080[^\n]*\n)+/m, `${servers}\n`);
  swap(/listen 80;/, `listen 127.0.0.1:${opts.port};`);
  swap(/access_log [^;]+;/, 'access_log off;');
  swap(/error_log \/dev\/stderr [^;]*;/, `error_log ${opts.prefix}/error.log warn;`);
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${opts.prefix}/tmp/${t};`)
    .join('\n');
  swap(/^http \{$/m, `http {\n${temps}`);
  return conf;
}

export interface TestNginx {
  port: number;
  /** ws://127.0.0.1:<port>/ws */
  url: string;
  http: string;
  conf: string;
  stop(): Promise<void>;
}

/** `upstreams`: ports on 127.0.0.1, or "host:port". */
export async function startNginx(upstreams: readonly (number | string)[]): Promise<TestNginx> {
  const bin = findBinary('nginx');
  if (!bin) throw new Error(nginxMissing()!);
  const prefix = mkdtempSync(path.join(tmpdir(), 'scale-chat-nginx-'));
  mkdirSync(path.join(prefix, 'tmp'));
  const template = deployNginxConf();
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const conf = renderNginxConf(template, { port, upstreams, prefix });
    const confFile = path.join(prefix, 'nginx.conf');
    writeFileSync(confFile, conf);
    const child: ChildProcess = spawn(bin, ['-p', prefix, '-c', confFile, '-e', path.join(prefix, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = captureOutput(child);
    let dead = false;
    child.once('exit', () => (dead = true));
    try {
      await waitUntil(async () => {
        if (dead) throw new Error('nginx exited');
        return canConnect(port);
      }, 15_000, 'nginx to listen');
    } catch (err) {
      await stopChild(child, 'SIGKILL');
      let log = '';
      try {
        log = readFileSync(path.join(prefix, 'error.log'), 'utf8');
      } catch {
        // none
      }
      if (attempt < 3 && /Address already in use/.test(log + output())) continue;
      rmSync(prefix, { recursive: true, force: true });
      throw new Error(`nginx did not start: ${(err as Error).message}\n${output()}\n${log}`);
    }
    return {
      port,
      url: `ws://127.0.0.1:${port}/ws`,
      http: `http://127.0.0.1:${port}`,
      conf,
      async stop() {
        // SIGQUIT = graceful; SIGTERM = fast. Tests want it gone.
        await stopChild(child, 'SIGTERM', 5000);
        rmSync(prefix, { recursive: true, force: true });
      },
    };
  }
}
