/** wss: with a certificate and key the server speaks TLS (self-signed cert made by openssl for the test). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import type { AckFrame } from '../src/protocol/types.js';
import { RawClient } from './helpers/raw.js';
import { startServer, tempDir } from './helpers/server.js';

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

it('serves wss:// and https:// when given tlsCert and tlsKey', { skip: haveOpenssl() ? false : 'SKIPPED LOUDLY: openssl not installed' }, async () => {
  const dir = tempDir('scale-chat-tls-');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const srv = await startServer({ tlsCert: cert, tlsKey: key });
  try {
    const url = srv.url.replace('ws://', 'wss://');
    const c = await RawClient.open(url, { ca: [(await import('node:fs')).readFileSync(cert)] });
    c.send({ type: 'hello', v: 1, auth: { kind: 'guest', name: 'secure' } });
    await c.next((e) => e.type === 'welcome');
    const ack = await c.request<AckFrame>({ type: 'send', id: 't', room: 'general', text: 'over tls' });
    assert.equal(ack.type, 'ack');
    c.close();
    await assert.rejects(RawClient.open(srv.url), 'plain ws is refused on a TLS port');
  } finally {
    await srv.cleanup();
  }
});
