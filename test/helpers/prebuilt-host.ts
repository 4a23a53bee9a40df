/**
 * A local binary host for better-sqlite3's install step, serving the binding this checkout already
 * built, for the pack-and-install test (test/pack.test.ts).
 *
 * Installing the server package runs better-sqlite3's `prebuild-install || node-gyp rebuild`: it first
 * downloads a prebuilt binding from GitHub's releases and, where that is unreachable (this machine and
 * CI reach the npm registry only), compiles SQLite from source: 93 s measured here, on top of the same
 * compile `npm ci` just did for the repository. prebuild-install takes a mirror from the environment
 * (`npm_config_better_sqlite3_binary_host`); this serves, at the URL it asks for, a tarball of the binding
 * in ./node_modules/better-sqlite3 (same package version, same Node ABI, same platform, built on this
 * machine), so the install does what it does with a download. Any other version or ABI gets a 404 and
 * the install compiles as it would without the mirror. SCALE_CHAT_PACK_FROM_SOURCE=1 turns it off.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PrebuiltHost {
  /** Environment for `npm install` that makes prebuild-install download from here. */
  env: Record<string, string>;
  /** The one path served (prebuild-install's file name for this version, ABI and platform). */
  file: string;
  /** Requests answered with the binding. */
  hits(): number;
  close(): Promise<void>;
}

/** Starts the host, or returns why not (no built binding in the checkout, or turned off). */
export async function startPrebuiltHost(repoRoot: string): Promise<PrebuiltHost | string> {
  if (process.env.SCALE_CHAT_PACK_FROM_SOURCE === '1') return 'SCALE_CHAT_PACK_FROM_SOURCE=1';
  const pkgDir = path.join(repoRoot, 'node_modules', 'better-sqlite3');
  const binding = path.join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(binding)) return `no built binding at ${binding}`;
  const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  // prebuild-install's name: {name}-v{version}-{runtime}-v{abi}-{platform}{libc}-{arch}.tar.gz under /v{version}/
  // (libc is empty for glibc, which is what a binding built here links against).
  const file = `/v${version}/better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const staging = mkdtempSync(path.join(tmpdir(), 'scale-chat-prebuilt-'));
  const tarball = path.join(staging, 'binding.tar.gz');
  execFileSync('tar', ['-czf', tarball, '-C', pkgDir, 'build/Release/better_sqlite3.node']);
  const body = readFileSync(tarball);
  rmSync(staging, { recursive: true, force: true });
  let hits = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === file) {
      hits++;
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    env: { npm_config_better_sqlite3_binary_host: host },
    file,
    hits: () => hits,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // prebuild-install keeps each download in <npm cache>/_prebuilds/<sha512(url)[0..6]>-<name>: this
      // host's URL has a new port each run, so its copy would pile up.
      const cache = process.env.npm_config_cache ?? path.join(process.env.HOME ?? tmpdir(), '.npm');
      const url = host + file;
      const digest = createHash('sha512').update(url).digest('hex').slice(0, 6);
      rmSync(path.join(cache, '_prebuilds', `${digest}-${path.basename(url).replace(/[^a-zA-Z0-9.]+/g, '-')}`), { force: true });
    },
  };
}
