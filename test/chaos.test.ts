/**
 * `npm run chaos` (bench/chaos.ts) end to end, short: the built CLI in a child process, 100 SDK
 * clients at 100 msg/s for 60 s against its own server, one fault of each kind (kill -9 and restart,
 * SIGSTOP, dropped connections, slow consumers) on a fixed seed. Asserts the exit code and that the
 * JSON result shows every fault kind injected and every property of the history checker passed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHAOS = fileURLToPath(new URL('../bench/chaos.js', import.meta.url));
const KINDS = ['kill9', 'sigstop', 'drop', 'slow'];

test('chaos: 100 clients, every fault kind, zero loss', { timeout: 180_000 }, async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'scale-chat-chaos-test-'));
  try {
    const args = [CHAOS, '--clients', '100', '--rate', '100', '--duration', '60s', '--seed', '7', '--faults', KINDS.join(','), '--pause-ms', '2000-4000', '--slow-ms', '2000-4000', '--reconnect-bound', '30s', '--server-cpus', '', '--out', out];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    // Bounded: a run that hangs fails the test instead of the suite (SIGTERM: the lab kills its server on exit).
    const killer = setTimeout(() => child.kill('SIGTERM'), 150_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(killer);
    assert.equal(code, 0, output);
    const files = readdirSync(out).filter((f) => f.startsWith('chaos-') && f.endsWith('.json'));
    assert.equal(files.length, 1, output);
    const result = JSON.parse(readFileSync(path.join(out, files[0]), 'utf8'));
    for (const k of KINDS) assert.ok(result.summary.faults[k] >= 1, `no ${k} fault injected:\n${output}`);
    assert.deepEqual(
      result.summary.verdicts.map((v: { property: string; ok: boolean }) => [v.property, v.ok]),
      [
        ['acked-stored', true],
        ['delivered', true],
        ['failed-absent', true],
        ['reconnected', true],
      ],
      output,
    );
    assert.ok(result.summary.acked > 1000, `only ${result.summary.acked} messages acked`);
    assert.ok(result.summary.deliveriesChecked > result.summary.acked, output);
    assert.equal(result.summary.ok, true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
