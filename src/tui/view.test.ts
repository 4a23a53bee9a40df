/**
 * Unit tests of what the terminal client shows: the model (ordering, dedup, pending messages,
 * unread counts, typing expiry, presence, message changes, the bell) and the layout (sizes, status
 * line, scrolling, seqs, replies, edits, deletions, reactions, and that no escape sequence from message
 * text reaches the frame).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatError } from '../client/index.js';
import type { MessageChange, MsgEvent } from '../protocol/index.js';
import { LineEditor } from './editor.js';
import { describeError, entryRows, makeStyles, messageParts, snippet } from './format.js';
import { renderFrame } from './layout.js';
import { ChatModel, TYPING_SHOW_MS, mentionsMe } from './model.js';
import { formatPlain, formatPlainChange } from './plain.js';
import { stringWidth } from './width.js';

const ME = { id: 'u-me', name: 'alice', account: false };
let clock = 1_000_000;
/** A message as the server sends it: `@alice` (as a token, any case) resolved to ME in `mentions`. */
const msg = (room: string, seq: number, text = `m${seq}`, uid = 'u-bob', user = 'bob'): MsgEvent => {
  const m: MsgEvent = { type: 'msg', room, seq, id: `${uid}-${seq}`, uid, user, text, ts: clock };
  if (/(?<![\p{L}\p{N}_])@alice(?![\p{L}\p{N}_])/iu.test(text)) m.mentions = [{ id: ME.id, name: ME.name }];
  return m;
};

function model(): ChatModel {
  const m = new ChatModel(() => {}, () => clock);
  m.me = ME;
  m.setRooms([
    { id: 'general', kind: 'global', lastSeq: 0, lastRead: 0, members: 2 },
    { id: 'lobby', kind: 'public', lastSeq: 0, lastRead: 0, members: 2 },
  ]);
  return m;
}
const texts = (m: ChatModel, room = 'general') =>
  m.rooms.get(room)!.entries.map((e) => (e.kind === 'msg' ? e.msg.text : e.kind === 'pending' ? `pending:${e.text}` : `info:${e.text}`));
const plain = (row: string) => row.replace(/\x1b\[[0-9;]*m/g, '');

describe('ChatModel', () => {
  it('keeps messages in seq order whatever order live, replayed and history messages come in, once each', () => {
    const m = model();
    m.note('joined');
    m.addMessage(msg('general', 5), true);
    m.addHistory('general', [msg('general', 3), msg('general', 4), msg('general', 5)], true);
    m.addMessage(msg('general', 6), true);
    m.addMessage(msg('general', 6), true);
    m.addHistory('general', [msg('general', 1), msg('general', 2)], false);
    assert.deepEqual(texts(m), ['info:joined', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    assert.equal(m.rooms.get('general')!.historyComplete, true);
    assert.equal(m.oldestSeq('general'), 1);
    assert.equal(m.newestSeq('general'), 6);
  });

  it('shows our message as pending until its msg comes back, and keeps it below newer messages meanwhile', () => {
    const m = model();
    m.addPending('general', 'me-1', 'mine');
    m.addMessage(msg('general', 1, 'theirs'), true);
    assert.deepEqual(texts(m), ['theirs', 'pending:mine']);
    m.addMessage({ ...msg('general', 2, 'mine', ME.id, ME.name), id: 'me-1' }, true);
    assert.deepEqual(texts(m), ['theirs', 'mine']);
  });

  it('counts unread messages of other rooms (not ours), flags mentions, clears on switch', () => {
    const m = model();
    m.addMessage(msg('lobby', 1, 'hi all'), true);
    m.addMessage(msg('lobby', 2, 'mine', ME.id, ME.name), true);
    m.addMessage(msg('general', 1), true);
    assert.equal(m.rooms.get('lobby')!.unread, 1);
    assert.equal(m.rooms.get('general')!.unread, 0, 'the current room has nothing unread');
    assert.equal(m.rooms.get('lobby')!.mentioned, false);
    m.addMessage(msg('lobby', 3, 'hey @Alice, look'), true);
    assert.equal(m.rooms.get('lobby')!.mentioned, true);
    m.addHistory('lobby', [msg('lobby', 0)], false);
    assert.equal(m.rooms.get('lobby')!.unread, 2, 'history is not unread');
    m.switchTo('lobby');
    assert.equal(m.rooms.get('lobby')!.unread, 0);
    // The server's resolution counts, not the text: @room flags, an unresolved "@alice" does not.
    m.addMessage({ type: 'msg', room: 'general', seq: 5, id: 'g5', uid: 'u-bob', user: 'bob', text: 'hey @alice', ts: clock }, true);
    assert.equal(m.rooms.get('general')!.mentioned, false, 'not resolved by the server: no mention');
    m.addMessage({ ...msg('general', 6, 'for @room'), mentionAll: true }, true);
    assert.equal(m.rooms.get('general')!.mentioned, true);
    assert.ok(mentionsMe({ mentionAll: true }, ME.id) && !mentionsMe({}, ME.id) && !mentionsMe({ mentions: [{ id: 'u-x', name: 'alice' }] }, ME.id));
  });

  it('shows typing notices for a few seconds, or until the typist\'s message arrives', () => {
    const m = model();
    m.typing({ type: 'typing', room: 'general', uid: 'u-bob', user: 'bob' });
    m.typing({ type: 'typing', room: 'general', uid: 'u-carol', user: 'carol' });
    m.typing({ type: 'typing', room: 'general', uid: ME.id, user: ME.name });
    assert.deepEqual(m.typingNames('general'), ['bob', 'carol']);
    m.addMessage(msg('general', 1), true);
    assert.deepEqual(m.typingNames('general'), ['carol']);
    clock += TYPING_SHOW_MS;
    assert.deepEqual(m.typingNames('general'), []);
  });

  it('applies presence diffs over the members snapshot', () => {
    const m = model();
    m.setMembers('lobby', [
      { id: ME.id, name: ME.name, online: true },
      { id: 'u-bob', name: 'bob', online: false },
    ]);
    const diff = m.presence({ type: 'presence', room: 'lobby', online: [{ id: 'u-bob', name: 'bob' }], offline: [] });
    assert.deepEqual(diff, { online: ['bob'], offline: [] });
    assert.equal(m.rooms.get('lobby')!.online.size, 2);
    m.presence({ type: 'presence', room: 'lobby', online: [], offline: [{ id: 'u-bob', name: 'bob' }] });
    assert.deepEqual([...m.rooms.get('lobby')!.online.values()], ['alice']);
  });
});

describe('renderFrame', () => {
  const st = makeStyles(true);

  it('fills the terminal exactly: status line, scrollback, typing row, room bar, input line', () => {
    const m = model();
    m.setConn({ state: 'open' });
    m.addMessage(msg('lobby', 1), true);
    for (let i = 1; i <= 50; i++) m.addMessage(msg('general', i, `message number ${i} `.repeat(i % 7)), true);
    const ed = new LineEditor();
    ed.insert('draft');
    for (const [cols, rows] of [[80, 24], [20, 6], [133, 41]]) {
      const f = renderFrame(m, ed, cols, rows, st, clock);
      assert.equal(f.rows.length, rows);
      for (const r of f.rows) assert.ok(stringWidth(plain(r)) <= cols, `${cols}: ${JSON.stringify(plain(r))}`);
      assert.match(plain(f.rows[0]), /^ #general/);
      assert.match(plain(f.rows[0]), /online $/);
      assert.match(plain(f.rows[rows - 2]), cols >= 40 ? /2:#lobby\(1\)/ : /^ 1:#general …$/);
      const prompt = cols >= 40 ? '#general> ' : '#gene…> '; // the room name takes at most a third of the width
      assert.equal(plain(f.rows[rows - 1]), `${prompt}draft`);
      assert.deepEqual(f.cursor, { row: rows - 1, col: stringWidth(`${prompt}draft`) });
    }
  });

  it('says when the terminal is too small', () => {
    const f = renderFrame(model(), new LineEditor(), 19, 10, st, clock);
    assert.match(f.rows[0], /terminal too small/);
  });

  it('shows the reconnect countdown and offline reason', () => {
    const m = model();
    m.setConn({ state: 'reconnecting', retryAt: clock + 2500 });
    assert.match(plain(renderFrame(m, new LineEditor(), 80, 10, st, clock).rows[0]), /alice · reconnecting in 3s $/);
    m.setConn({ state: 'offline', detail: 'token expired [token_expired]' });
    assert.match(plain(renderFrame(m, new LineEditor(), 80, 10, st, clock).rows[0]), /offline: token expired/);
  });

  it('scrolls by rows and reports the top of the loaded scrollback', () => {
    const m = model();
    for (let i = 1; i <= 30; i++) m.addMessage(msg('general', i), true);
    const ed = new LineEditor();
    const bottom = renderFrame(m, ed, 40, 10, st, clock);
    assert.match(plain(bottom.rows[6]), /<bob> m30$/);
    m.setScroll(5);
    const up = renderFrame(m, ed, 40, 10, st, clock);
    assert.match(plain(up.rows[6]), /<bob> m25$/);
    assert.match(plain(up.rows[7]), /scrolled up 5 rows/);
    assert.equal(up.atTop, false);
    m.setScroll(1000);
    const top = renderFrame(m, ed, 40, 10, st, clock);
    assert.equal(top.atTop, true);
    assert.equal(top.scroll, 24);
    assert.match(plain(top.rows[1]), /<bob> m1$/);
  });

  it('never lets an escape sequence from a message, name or room into the frame', () => {
    const m = model();
    m.setRooms([
      { id: 'general', kind: 'global', lastSeq: 0, lastRead: 0, members: 2 },
      { id: 'dm:a:b', kind: 'dm', lastSeq: 0, lastRead: 0, members: 2, peer: { id: 'u-x', name: 'x\x1b]0;t\x07y' } },
    ]);
    m.addMessage(msg('general', 1, '\x1b[2Jclear\x1b[31m red', 'u-evil', 'ev\x1bil'), true);
    m.note('\x1b[5mblink');
    m.typing({ type: 'typing', room: 'general', uid: 'u-evil', user: '\x1b[8mhidden' });
    const f = renderFrame(m, new LineEditor(), 80, 12, st, clock);
    for (const r of f.rows) assert.equal(r.replace(/\x1b\[[0-9;]*m/g, '').includes('\x1b'), false, JSON.stringify(r));
    const all = f.rows.map(plain).join('\n');
    assert.match(all, /<evl> clear red/, 'ESC i is a two-byte sequence: both go');
    assert.ok(f.rows.some((r) => r.includes('> clear red')), 'no escape code inside the message text');
    assert.match(all, /hidden is typing/);
    assert.match(all, /2:@xy/);
  });
});

describe('users who share a name', () => {
  it('marks the earlier user of a name with a short id and colours authors by id', () => {
    const m = model();
    m.setMembers('general', [{ id: 'u00000000000000bb', name: 'carol', online: true }]);
    m.addMessage(msg('general', 1, 'from the guest who left', 'u00000000000000aa', 'carol'), true);
    m.addMessage(msg('general', 2, 'from the carol of now', 'u00000000000000bb', 'Carol'), true);
    m.addMessage(msg('general', 3, 'constructor speaks', 'u-c', 'constructor'), true);
    const rows = renderFrame(m, new LineEditor(), 80, 10, makeStyles(false), clock).rows.map(plain);
    assert.ok(rows.some((r) => r.includes('<carol~00aa> from the guest who left')), rows.join('\n'));
    assert.ok(rows.some((r) => r.includes('<Carol> from the carol of now')));
    assert.ok(rows.some((r) => r.includes('<constructor> constructor speaks')));
    const colored = renderFrame(m, new LineEditor(), 80, 10, makeStyles(true), clock).rows;
    const colorOf = (text: string) => /\x1b\[3(\d)m/.exec(colored.find((r) => r.includes(text))!)?.[1];
    assert.notEqual(colorOf('from the guest who left'), undefined);
  });
});

/** A change event (docs/protocol.md 6.15): a tombstone with `change`, at its own seq. */
const change = (room: string, seq: number, c: MessageChange, uid = 'u-bob', user = 'bob'): MsgEvent => ({
  type: 'msg', room, seq, id: `${uid}-c${seq}`, uid, user, text: '', ts: clock, deleted: true, change: c,
});
const screen = (m: ChatModel, cols = 80, rows = 12, color = false) => renderFrame(m, new LineEditor(), cols, rows, makeStyles(color), clock).rows.map(plain);

describe('replies and message changes', () => {
  it('shows each message\'s seq before its time, dim', () => {
    const m = model();
    m.addMessage(msg('general', 12, 'hello'), true);
    const rows = screen(m);
    assert.ok(rows.some((r) => /^#12 \d\d:\d\d <bob> hello$/.test(r)), rows.join('\n'));
    const colored = renderFrame(m, new LineEditor(), 80, 12, makeStyles(true), clock).rows.find((r) => r.includes('hello'))!;
    assert.match(colored, /^\x1b\[2m#12 \d\d:\d\d\x1b\[22m </, 'seq and time dim');
  });

  it('applies edits, reactions and removals in place, live or through `updated`, once, and never shows a change as a message', () => {
    const m = model();
    m.addMessage(msg('general', 12, 'first text'), true);
    m.addMessage(msg('general', 13, 'next'), true);
    m.applyChangeEvent(change('general', 14, { kind: 'edit', target: 12, text: 'second text' }));
    m.addMessage(change('general', 14, { kind: 'edit', target: 12, text: 'second text' }), true); // even if handed over as a message
    m.applyChangeEvent(change('general', 15, { kind: 'react', target: 12, emoji: '👍', on: true }));
    m.applyChangeEvent(change('general', 16, { kind: 'react', target: 12, emoji: '👍', on: true }, 'u-carol', 'carol'));
    m.applyChangeEvent(change('general', 17, { kind: 'react', target: 12, emoji: '🎉', on: true }));
    m.applyChangeEvent(change('general', 17, { kind: 'react', target: 12, emoji: '🎉', on: true })); // a repeat
    assert.deepEqual(texts(m), ['second text', 'next']);
    let rows = screen(m);
    assert.ok(rows.some((r) => /^#12 \d\d:\d\d <bob> second text \(edited\) \[👍 2 🎉 1\]$/.test(r)), rows.join('\n'));
    assert.equal(rows.filter((r) => r.includes('<bob>')).length, 2, 'no row for the change events');

    // The SDK's `updated` (the same state, or an older one) changes nothing; a newer one replaces it.
    const held = m.held('general', 12)!;
    assert.equal(m.updateMessage({ ...held, text: 'stale', v: 15 }), false);
    assert.equal(m.updateMessage({ ...held, text: 'third text', v: 18, reactions: [] }), true);
    rows = screen(m);
    assert.ok(rows.some((r) => /<bob> third text \(edited\)$/.test(r)), 'no brackets without reactions');

    m.applyChangeEvent(change('general', 19, { kind: 'remove', target: 12 }));
    rows = screen(m);
    assert.ok(rows.some((r) => /^#12 \d\d:\d\d <bob> \(message deleted\)$/.test(r)), rows.join('\n'));
    const colored = renderFrame(m, new LineEditor(), 80, 12, makeStyles(true), clock).rows.find((r) => r.includes('deleted'))!;
    assert.match(colored, /\x1b\[2m\(message deleted\)\x1b\[22m/, 'dim');
    assert.equal(m.rooms.get('general')!.lastLive, 19);
    assert.equal(m.readSeq('general'), 19, 'the read marker covers the change events');
  });

  it('a reply starts with the name and the first 40 characters of its original, else its seq', () => {
    const m = model();
    const long = 'the deploy is done; the new build is on staging, please test the login page';
    m.addMessage(msg('general', 3, long), true);
    m.addMessage({ ...msg('general', 4, 'on it', ME.id, ME.name), replyTo: 3 }, true);
    m.addMessage({ ...msg('general', 5, 'which one?'), replyTo: 1 }, true);
    m.lookup = (room, seq) => (room === 'general' && seq === 2 ? { ...msg('general', 2, 'known to the SDK', 'u-carol', 'carol') } : undefined);
    m.addMessage({ ...msg('general', 6, 'me too'), replyTo: 2 }, true);
    const rows = screen(m, 80, 14);
    const at = rows.findIndex((r) => /^#4 \d\d:\d\d <alice> /.test(r));
    assert.equal(rows[at].replace(/^#4 \d\d:\d\d <alice> /, ''), `↪ bob: ${long.slice(0, 40).trimEnd()}…`);
    assert.match(rows[at + 1], /^ +on it$/, 'the text under the quote, indented');
    assert.ok(rows.some((r) => /<bob> ↪ #1$/.test(r)), 'unknown original: its seq');
    assert.ok(rows.some((r) => /<bob> ↪ carol: known to the SDK$/.test(r)), 'the original from lookup (the SDK)');
    m.applyChangeEvent(change('general', 7, { kind: 'remove', target: 3 }));
    assert.ok(screen(m, 80, 14).some((r) => /<alice> ↪ bob: \(message deleted\)$/.test(r)), 'a deleted original');
    const colored = renderFrame(m, new LineEditor(), 80, 14, makeStyles(true), clock).rows.find((r) => r.includes('↪ #1'))!;
    assert.match(colored, /\x1b\[2m↪ #1\x1b\[22m/, 'the quote is dim');
  });

  it('wraps the text with its suffix and truncates the quote to the width', () => {
    const m = model();
    m.addMessage(msg('general', 1, 'x'.repeat(30)), true);
    m.addMessage({ ...msg('general', 2, 'word '.repeat(12)), replyTo: 1, edited: clock, reactions: [{ emoji: '👍', count: 3, uids: [] }] }, true);
    for (const cols of [20, 34, 50]) {
      const rows = renderFrame(m, new LineEditor(), cols, 20, makeStyles(true), clock).rows;
      for (const r of rows) assert.ok(stringWidth(plain(r)) <= cols, `${cols}: ${JSON.stringify(plain(r))}`);
      const all = rows.map(plain).join('\n');
      assert.ok(all.replace(/\s+/g, ' ').includes('word (edited) [👍 3]'), `${cols}: ${all}`);
    }
    const rows = screen(m, 34, 20);
    assert.ok(rows.some((r) => /^#2 \d\d:\d\d <bob> ↪ bob: x{11}…$/.test(r)), rows.join('\n'));
  });

  it('keeps everything from the network inert: quoted snippets, names and reaction emoji are sanitized', () => {
    const m = model();
    m.addMessage(msg('general', 1, 'a\x1b]0;title\x07b\x1b[31m\nc', 'u-e', 'e\x1b[8mve'), true);
    m.addMessage({ ...msg('general', 2, 'ok'), replyTo: 1, reactions: [{ emoji: '\x1b[2J👍', count: 1, uids: [] }] }, true);
    const rows = renderFrame(m, new LineEditor(), 80, 12, makeStyles(true), clock).rows;
    for (const r of rows) assert.equal(r.replace(/\x1b\[[0-9;]*m/g, '').includes('\x1b'), false, JSON.stringify(r));
    const all = rows.map(plain).join('\n');
    assert.match(all, /<bob> ↪ eve: ab c$/m, 'the snippet on one line, control characters gone');
    assert.match(all, /ok \[👍 1\]/);
    assert.equal(snippet('\x1b[1m' + '漢'.repeat(50)), '漢'.repeat(40) + '…', '40 characters, not 40 bytes');
    const p = messageParts({ ...msg('general', 3, 'x'), deleted: true, text: '', reactions: [{ emoji: '👍', count: 1, uids: [] }], edited: 1, replyTo: 1 });
    assert.deepEqual(p, { text: '(message deleted)', suffix: '', deleted: true }, 'a deleted message shows nothing else');
  });

  it('takes history pages in current state, skips their change events, and pages on past them', () => {
    const m = model();
    m.rooms.get('general')!.historyComplete = false; // the room has older messages
    m.addMessage(msg('general', 40, 'live'), true);
    // A page of only change events (seqs 30-39) moves the cursor anyway.
    m.addHistory('general', Array.from({ length: 10 }, (_, i) => change('general', 30 + i, { kind: 'react', target: 5, emoji: '👍', on: i % 2 === 0 })), true);
    assert.deepEqual(texts(m), ['live']);
    assert.equal(m.historyCursor('general'), 30);
    assert.equal(m.rooms.get('general')!.historyComplete, false);
    m.addHistory('general', [{ ...msg('general', 5, 'old, edited'), edited: clock, v: 39, reactions: [{ emoji: '👍', count: 1, uids: ['u-bob'] }] }, change('general', 6, { kind: 'edit', target: 5, text: 'old, edited' })], false);
    assert.deepEqual(texts(m), ['old, edited', 'live']);
    assert.equal(m.rooms.get('general')!.historyComplete, true);
    // A page with a newer state of a held message replaces it; an older one does not.
    m.addHistory('general', [{ ...msg('general', 40, 'live, edited later'), edited: clock, v: 41 }], false);
    m.addHistory('general', [{ ...msg('general', 40, 'an older state'), v: 39 }], false);
    assert.deepEqual(texts(m), ['old, edited', 'live, edited later']);
  });

  it('knows our last message for /edit and /delete without a seq; an administrator\'s deletion shows as deleted', () => {
    const m = model();
    m.addMessage(msg('general', 1, 'mine', ME.id, ME.name), true);
    m.addMessage(msg('general', 2, 'also mine', ME.id, ME.name), true);
    m.addMessage(msg('general', 3, 'theirs'), true);
    assert.equal(m.lastOwnSeq('general'), 2);
    m.applyChangeEvent(change('general', 4, { kind: 'remove', target: 2 }, ME.id, ME.name));
    assert.equal(m.lastOwnSeq('general'), 1, 'not a deleted one');
    assert.equal(m.lastOwnSeq('lobby'), undefined);
    m.markDeleted('general', 3);
    assert.deepEqual(texts(m), ['mine', '', '']);
    assert.equal(m.held('general', 3)!.deleted, true);
  });

  it('rings the bell for a live message that calls us by @name (any case), not for our own, history or a bare name; highlights it', () => {
    const m = model();
    m.addMessage(msg('general', 1, 'alice is away'), true);
    assert.equal(m.takeBell(), false, 'a bare name highlights but does not ring');
    m.addMessage(msg('general', 2, 'ping @ALICE, look'), true);
    assert.equal(m.takeBell(), true);
    assert.equal(m.takeBell(), false, 'rung once');
    m.addMessage(msg('general', 3, 'note to self @alice', ME.id, ME.name), true);
    m.addHistory('general', [msg('general', 0, 'old @alice')], false);
    m.addMessage(msg('lobby', 1, 'mail@alice.example'), true);
    m.addMessage(msg('lobby', 2, '@alicexyz'), true);
    assert.equal(m.takeBell(), false);
    m.addMessage(msg('lobby', 3, '@alice: in lobby'), true);
    assert.equal(m.takeBell(), true, 'in another room too');
    assert.equal(m.rooms.get('lobby')!.mentioned, true, 'and the room bar flags it');
    m.addMessage({ type: 'msg', room: 'lobby', seq: 4, id: 'x4', uid: 'u-bob', user: 'bob', text: '@alice unresolved', ts: clock }, true);
    assert.equal(m.takeBell(), false, 'a name the server did not resolve to us rings nothing');
    const colored = renderFrame(m, new LineEditor(), 80, 12, makeStyles(true), clock).rows.find((r) => r.includes('ping @ALICE'))!;
    assert.match(colored, /\x1b\[1m\x1b\[33mping @ALICE, look/, 'highlighted: bold yellow');
  });

  it('says the server\'s refusals in words, with the code', () => {
    const e = (code: string) => describeError(new ChatError(code as never, 'server words'), 12);
    assert.equal(e('not_author'), '#12 is not your message: you can only change your own [not_author]');
    assert.match(e('no_such_message'), /^there is no message #12 in this room \(or it was deleted\) \[no_such_message\]$/);
    assert.match(e('edit_window_passed'), /^#12 can no longer be edited/);
    assert.match(e('reaction_invalid'), /one emoji or a shortcode/);
    assert.match(e('too_many_reactions'), /^#12 has as many different reactions as a message can have \(20\)/);
    assert.equal(e('read_only'), 'server words [read_only]', 'other codes keep the server\'s message');
    assert.equal(describeError(new ChatError('not_author', 'server words')), 'server words [not_author]', 'no seq: the server\'s message');
    assert.equal(e('constructor'), 'server words [constructor]');
  });

  it('line mode: the same message text, and one short line per change', () => {
    const m = msg('general', 5, 'yes\nat 5');
    const line = formatPlain('#general', { kind: 'msg', msg: { ...m, replyTo: 4, edited: clock, reactions: [{ emoji: '👍', count: 2, uids: [] }] } }, () => msg('general', 4, 'when?', 'u-c', 'carol'));
    const head = /^.*<bob> /.exec(line)![0].length;
    assert.equal(line.replace(/^.*? #general/, '#general'), `#general <bob> ↪ carol: when?\n${' '.repeat(head)}yes\n${' '.repeat(head)}at 5 (edited) [👍 2]`);
    assert.match(formatPlain('#general', { kind: 'msg', msg: { ...m, text: '', deleted: true } }), /<bob> \(message deleted\)$/);
    assert.match(formatPlainChange('#general', change('general', 9, { kind: 'edit', target: 5, text: 'new\x1b[2J\ntext' })), /^[\d-]* ?\d\d:\d\d #general \* bob edited #5: new text$/);
    assert.match(formatPlainChange('#general', change('general', 9, { kind: 'remove', target: 5 })), /\* bob deleted #5$/);
    assert.match(formatPlainChange('#general', change('general', 9, { kind: 'react', target: 5, emoji: '👍', on: true })), /\* bob reacted 👍 to #5$/);
    assert.match(formatPlainChange('#general', change('general', 9, { kind: 'react', target: 5, emoji: '👍', on: false })), /\* bob took back 👍 from #5$/);
  });

  it('entryRows keeps old layouts for other entries', () => {
    const rows = entryRows({ kind: 'pending', id: 'x', text: 'hi', ts: clock }, { cols: 40, styles: makeStyles(false), meName: 'alice', now: clock });
    assert.match(plain(rows[0]), /^\d\d:\d\d <alice> hi \[sending…\]$/);
  });
});

describe('a message from a bot', () => {
  const clock = Date.UTC(2026, 0, 1, 12, 0);
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  it('is marked [bot] beside the author, in the screen and the plain output; a person\'s is not', () => {
    const m: MsgEvent = { type: 'msg', room: 'general', seq: 3, id: 'a', uid: 'u1', user: 'deploybot', text: 'done', ts: clock, bot: true };
    const rows = entryRows({ kind: 'msg', msg: m }, { cols: 60, styles: makeStyles(false), meName: 'alice', now: clock });
    assert.match(strip(rows[0]), /<deploybot \[bot\]> done$/);
    assert.match(formatPlain('#general', { kind: 'msg', msg: m }), /<deploybot \[bot\]> done$/);
    const person = entryRows({ kind: 'msg', msg: { ...m, bot: undefined, user: 'ann' } }, { cols: 60, styles: makeStyles(false), meName: 'alice', now: clock });
    assert.match(strip(person[0]), /<ann> done$/);
  });
});
