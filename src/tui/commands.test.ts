/** Unit tests of the command parser: every command, its arguments, and clear usage errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS, helpLines, parseLine, parseSeq } from './commands.js';

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
    assert.deepEqual(parseLine('/search launch friday'), { kind: 'search', query: 'launch friday' });
    assert.deepEqual(parseLine('/find in:#lobby from:@ann plan'), { kind: 'search', query: 'plan', room: 'lobby', from: 'ann' });
    assert.deepEqual(parseLine('/search in:here x'), { kind: 'search', query: 'x', here: true });
    assert.deepEqual(parseLine('/search in:here'), { kind: 'error', message: 'usage: /search [in:#room|in:here] [from:name] <words>' });
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

  it('parses replies, edits, deletions and reactions (a message by its seq: 12 or #12)', () => {
    assert.deepEqual(parseLine('/reply 12 yes, at 5'), { kind: 'reply', seq: 12, text: 'yes, at 5' });
    assert.deepEqual(parseLine('/re #12  two  spaces'), { kind: 'reply', seq: 12, text: ' two  spaces' });
    assert.deepEqual(parseLine('/edit 12 new text'), { kind: 'edit', seq: 12, text: 'new text' });
    assert.deepEqual(parseLine('/edit #12 new text'), { kind: 'edit', seq: 12, text: 'new text' });
    assert.deepEqual(parseLine('/edit fixed the typo'), { kind: 'edit', text: 'fixed the typo' }, 'no seq: your last message');
    assert.deepEqual(parseLine('/edit 3rd try'), { kind: 'edit', text: '3rd try' }, 'a word that only starts with digits is text');
    assert.deepEqual(parseLine('/delete'), { kind: 'delete' });
    assert.deepEqual(parseLine('/delete 7'), { kind: 'delete', seq: 7 });
    assert.deepEqual(parseLine('/del #7'), { kind: 'delete', seq: 7 });
    assert.deepEqual(parseLine('/react 12 👍'), { kind: 'react', seq: 12, emoji: '👍', on: true });
    assert.deepEqual(parseLine('/react #12 :tada:'), { kind: 'react', seq: 12, emoji: ':tada:', on: true });
    assert.deepEqual(parseLine('/react 12 👩‍💻'), { kind: 'react', seq: 12, emoji: '👩‍💻', on: true }, 'a ZWJ sequence is one emoji');
    assert.deepEqual(parseLine('/react 12 🇫🇷'), { kind: 'react', seq: 12, emoji: '🇫🇷', on: true });
    assert.deepEqual(parseLine('/unreact 12 👍'), { kind: 'react', seq: 12, emoji: '👍', on: false });
    assert.equal(parseSeq('#0'), undefined);
    assert.equal(parseSeq('99999999999999999999'), undefined);
    assert.equal(parseSeq('-1'), undefined);
    assert.equal(parseSeq('1e3'), undefined);
  });

  it('reports bad replies, edits, deletions and reactions with their usage', () => {
    const err = (line: string) => {
      const r = parseLine(line);
      assert.equal(r.kind, 'error', line);
      return (r as { message: string }).message;
    };
    assert.match(err('/edit'), /^usage: \/edit \[seq\] <text>$/);
    assert.match(err('/edit 12'), /^usage: \/edit \[seq\] <text>$/, 'a seq without text');
    assert.match(err('/delete 1 2'), /^usage: \/delete \[seq\]$/);
    assert.match(err('/delete last'), /"last" is not a message number.*like 12 or #12/);
    assert.match(err('/react'), /^usage: \/react <seq> <emoji>$/);
    assert.match(err('/react 12'), /^usage: \/react <seq> <emoji>$/);
    assert.match(err('/react 12 👍 🎉'), /^usage: \/react/);
    assert.match(err('/unreact 12'), /^usage: \/unreact <seq> <emoji>$/);
    assert.match(err('/react x 👍'), /"x" is not a message number/);
    assert.match(err('/react 12 ok'), /"ok" is not a reaction: use one emoji .* or a shortcode such as :\+1:/);
    assert.match(err('/react 12 👍👍'), /is not a reaction/, 'two emoji');
    assert.match(err('/react 12 :shrug:'), /is not a reaction/, 'not one of the shortcodes');
    assert.match(err('/reply'), /^usage: \/reply <seq> <text>$/);
    assert.match(err('/reply 12'), /^usage: \/reply <seq> <text>$/);
    assert.match(err('/reply hello there'), /"hello" is not a message number/);
  });

  it('help lists every command and explains one', () => {
    const all = helpLines().join('\n');
    for (const c of COMMANDS) assert.ok(all.includes(c.usage), c.name);
    assert.match(helpLines('q')[0], /^\/quit: /);
    assert.match(helpLines('zzz')[0], /no command \/zzz/);
    assert.match(helpLines('del')[0], /^\/delete \[seq\]: delete your message .*\(also \/del\)$/);
    assert.match(helpLines('unreact')[0], /^\/unreact <seq> <emoji>: /);
  });
});
