import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { clientIpResolver } from './client-ip.js';

function req(remoteAddress: string, xff?: string | string[]): IncomingMessage {
  return { socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } } as unknown as IncomingMessage;
}

test('client ip: without trusted proxies the peer address is the client, whatever the header says', () => {
  const ip = clientIpResolver([]);
  assert.equal(ip(req('203.0.113.9', '1.2.3.4')), '203.0.113.9');
  assert.equal(ip(req('::ffff:127.0.0.1')), '127.0.0.1');
});

test('client ip: X-Forwarded-For is believed from trusted proxies only, walking from the nearest hop', () => {
  const ip = clientIpResolver(['127.0.0.1', '10.0.0.0/8', '::1']);
  assert.equal(ip(req('127.0.0.1', '198.51.100.7')), '198.51.100.7');
  assert.equal(ip(req('::ffff:127.0.0.1', '198.51.100.7')), '198.51.100.7', 'dual-stack form of a trusted peer');
  // A client that sends its own X-Forwarded-For: nginx appends the real peer; the forged part is left of it.
  assert.equal(ip(req('127.0.0.1', '6.6.6.6, 198.51.100.7')), '198.51.100.7');
  // Two proxies in a row (both trusted), then the client.
  assert.equal(ip(req('127.0.0.1', '198.51.100.7, 10.1.2.3')), '198.51.100.7');
  assert.equal(ip(req('::1', ['198.51.100.7', '10.1.2.3'])), '198.51.100.7', 'repeated headers are one list');
  // An untrusted peer cannot pick its address.
  assert.equal(ip(req('203.0.113.9', '198.51.100.7')), '203.0.113.9');
  // Only proxies in the chain, no header, or garbage: the last address that could be verified.
  assert.equal(ip(req('127.0.0.1', '10.0.0.5')), '10.0.0.5');
  assert.equal(ip(req('127.0.0.1')), '127.0.0.1');
  assert.equal(ip(req('127.0.0.1', 'unknown, 198.51.100.7')), '198.51.100.7');
  assert.equal(ip(req('127.0.0.1', '198.51.100.7, not-an-ip')), '127.0.0.1');
});

test('client ip: invalid trusted entries are refused with the entry in the message', () => {
  for (const bad of ['localhost', '10.0.0.0/33', '10.0.0.0/8/1', '::1/200', '1.2.3']) {
    assert.throws(() => clientIpResolver([bad]), new RegExp(bad.replace(/[./]/g, '\\$&')));
  }
});
