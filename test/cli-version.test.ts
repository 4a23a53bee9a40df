/** `scale-chat --version`: the package version and the protocol version, as a user runs it. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PROTOCOL_VERSION } from '../src/protocol/version.js';

const main = new URL('../src/cli/main.js', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('scale-chat --version', () => {
  it('prints the package version and the protocol version, and exits 0', () => {
    for (const flag of ['--version', '-V']) {
      const out = execFileSync(process.execPath, [main.pathname, flag], { encoding: 'utf8' });
      assert.equal(out.trim(), `${pkg.version} (protocol v${PROTOCOL_VERSION})`);
    }
  });
});
