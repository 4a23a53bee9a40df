import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configHelp, defaults, envName, flagName, loadConfig } from './config.js';

test('config: flags win over env, env over defaults; PORT is a fallback for the port', () => {
  assert.equal(loadConfig({}, {}).port, defaults.port);
  assert.equal(loadConfig({}, { PORT: '9001' }).port, 9001);
  assert.equal(loadConfig({}, { PORT: '9001', SCALE_CHAT_PORT: '9002' }).port, 9002);
  assert.equal(loadConfig({ port: '9003' }, { SCALE_CHAT_PORT: '9002' }).port, 9003);
  const c = loadConfig({}, { SCALE_CHAT_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8', SCALE_CHAT_LISTEN_BACKLOG: '1024' });
  assert.deepEqual(c.trustProxy, ['127.0.0.1', '10.0.0.0/8']);
  assert.equal(c.listenBacklog, 1024);
});

test('config: every option has a flag, an env variable and a help line', () => {
  for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) {
    assert.match(flagName(key), /^[a-z][a-z0-9-]*$/, key);
    assert.match(envName(key), /^SCALE_CHAT_[A-Z0-9_]+$/, key);
    assert.ok(configHelp[key]?.length > 10, `help for ${key}`);
  }
  assert.equal(flagName('trustProxy'), 'trust-proxy');
  assert.equal(envName('listenBacklog'), 'SCALE_CHAT_LISTEN_BACKLOG');
});

test('config: bad values are refused with the option named', () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ port: 'abc' }, /config port/],
    [{ logLevel: 'loud' }, /config logLevel/],
    [{ trustProxy: 'localhost' }, /config trustProxy: "localhost" is not an IP address or CIDR subnet/],
    [{ trustProxy: '10.0.0.0/40' }, /config trustProxy: "10.0.0.0\/40": bad prefix length/],
    [{ listenBacklog: '0' }, /config listenBacklog/],
    [{ listenBacklog: '1.5' }, /config listenBacklog/],
    [{ workers: '2' }, /more than one worker needs redisUrl/],
  ];
  for (const [overrides, message] of bad) assert.throws(() => loadConfig(overrides, {}), message, JSON.stringify(overrides));
});

test('config: JWT sign-in options are checked at start', () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ jwtSecret: 'too-short-secret' }, /config jwtSecret: at least 32 bytes/],
    [{ jwtJwksUrl: 'not a url' }, /config jwtJwksUrl/],
    [{ jwtJwksUrl: 'http://keys.example.com/jwks.json' }, /config jwtJwksUrl: https:\/\//],
    [{ jwtJwksUrl: 'ftp://127.0.0.1/jwks.json' }, /config jwtJwksUrl/],
    [{ jwtNameClaim: 'a b' }, /config jwtNameClaim/],
    [{ jwtClockToleranceMs: '600000' }, /config jwtClockToleranceMs/],
    [{ jwtJwksTimeoutMs: '10' }, /config jwtJwksTimeoutMs/],
  ];
  for (const [overrides, message] of bad) assert.throws(() => loadConfig(overrides, {}), message, JSON.stringify(overrides));
  const ok = loadConfig({ jwtJwksUrl: 'http://127.0.0.1:9000/jwks.json' }, { SCALE_CHAT_JWT_SECRET: 'x'.repeat(32), SCALE_CHAT_JWT_ISSUER: 'https://app.example' });
  assert.equal(ok.jwtSecret.length, 32);
  assert.equal(ok.jwtIssuer, 'https://app.example');
  assert.equal(ok.jwtNameClaim, 'name');
  assert.equal(loadConfig({ jwtJwksUrl: 'https://app.example/.well-known/jwks.json' }, {}).jwtJwksUrl, 'https://app.example/.well-known/jwks.json');
});
