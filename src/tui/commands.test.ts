/** Unit tests of the command parser: every command, its arguments, and clear usage errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS, helpLines, parseLine } from './commands.js';

describe('parseLine', () => {
  it('plain text is a message; blank lines do nothing; // escapes a leading slash', () => {
    assert.deepEqual(parseLine('hello there'), { kind: 'say', text: 'hello there' });
    assert.deepEqual(parseLine('   '), { kind: 'none' });
    assert.deepEqual(parseLine('//etc/hosts'), { kind: 'say', text: '/etc/hosts' });
  });

  it('parses each command and its aliases', () => {
    assert.deepEqual(parseLine('/join #lobby'), { kind: 'join', room: 'lobby' });
    assert.deepEqual(parseLine('/j lobby'), { kind: 'join', room: 'lobby' });
    assert.deepEqual(parseLine('/join @bob'), { kind: 'join', room: '@bob' });
    assert.deepEqual(parseLine('/switch 2'), { kind: 'switch', room: '2' });
    assert.deepEqual(parseLine('/leave'), { kind: 'leave' });
    assert.deepEqual(parseLine('/leave #lobby'), { kind: 'leave', room: 'lobby' });
    assert.deepEqual(parseLine('/create team private'), { kind: 'create', room: 'team', visibility: 'private' });
    assert.deepEqual(parseLine('/create team'), { kind: 'create', room: 'team', visibility: 'public' });
    assert.deepEqual(parseLine('/invite @bob team'), { kind: 'invite', user: 'bob', room: 'team' });
    assert.deepEqual(parseLine('/invite bob'), { kind: 'invite', user: 'bob' });
    assert.deepEqual(parseLine('/dm bob'), { kind: 'dm', user: 'bob' });
    assert.deepEqual(parseLine('/msg bob  two  spaces kept'), { kind: 'dm', user: 'bob', text: ' two  spaces kept' });
    assert.deepEqual(parseLine('/who'), { kind: 'who' });
    assert.deepEqual(parseLine('/who #lobby'), { kind: 'who', room: 'lobby' });
    assert.deepEqual(parseLine('/rooms'), { kind: 'rooms' });
    assert.deepEqual(parseLine('/history'), { kind: 'history' });
    assert.deepEqual(parseLine('/history 50'), { kind: 'history', count: 50 });
    assert.deepEqual(parseLine('/help /join'), { kind: 'help', topic: 'join' });
    assert.deepEqual(parseLine('/QUIT'), { kind: 'quit' });
    assert.deepEqual(parseLine('/exit'), { kind: 'quit' });
  });

  it('reports bad input as a readable error', () => {
    const err = (line: string) => {
      const r = parseLine(line);
      assert.equal(r.kind, 'error', line);
      return (r as { message: string }).message;
    };
    assert.match(err('/nope'), /unknown command \/nope/);
    assert.match(err('/'), /empty command/);
    assert.match(err('/join'), /usage: \/join <room>/);
    assert.match(err('/join a b'), /usage/);
    assert.match(err('/create x secret'), /public or private/);
    assert.match(err('/history -3'), /whole number/);
    assert.match(err('/history 1.5'), /whole number/);
    assert.match(err('/dm'), /usage: \/dm/);
  });

  it('help lists every command and explains one', () => {
    const all = helpLines().join('\n');
    for (const c of COMMANDS) assert.ok(all.includes(c.usage), c.name);
    assert.match(helpLines('q')[0], /^\/quit: /);
    assert.match(helpLines('zzz')[0], /no command \/zzz/);
  });
});
