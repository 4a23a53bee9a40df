/**
 * Unit tests of what the terminal client shows: the model (ordering, dedup, pending messages,
 * unread counts, typing expiry, presence) and the layout (sizes, status line, scrolling, and that
 * no escape sequence from message text reaches the frame).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MsgEvent } from '../protocol/index.js';
import { LineEditor } from './editor.js';
import { makeStyles } from './format.js';
import { renderFrame } from './layout.js';
import { ChatModel, TYPING_SHOW_MS, mentions } from './model.js';
import { stringWidth } from './width.js';

const ME = { id: 'u-me', name: 'alice', account: false };
let clock = 1_000_000;
const msg = (room: string, seq: number, text = `m${seq}`, uid = 'u-bob', user = 'bob'): MsgEvent => ({ type: 'msg', room, seq, id: `${uid}-${seq}`, uid, user, text, ts: clock });

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
    assert.ok(mentions('alice: ping', 'alice') && !mentions('malice', 'alice') && !mentions('alice2', 'alice'));
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
