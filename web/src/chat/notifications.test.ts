import { describe, expect, it } from 'vitest';
import type { MsgEvent } from '../../../src/protocol/types.js';
import { isMuted, setMuted, shouldNotify } from './notifications.js';
import { badgeCount, mentionCount, unreadCount } from '../lib/format.js';

const ME = 'u-me';
const now = Date.now() + 1000;
const msg = (over: Partial<MsgEvent>): MsgEvent => ({ type: 'msg', room: 'lobby', seq: 1, id: 'm1', uid: 'u-bob', user: 'bob', text: 'hi', ts: now, ...over });

describe('notifications', () => {
  it('DMs and mentions of you or the room, only when hidden or another room is open; never your own, changes or old replays', () => {
    const mention = msg({ mentions: [{ id: ME, name: 'me' }] });
    expect(shouldNotify(mention, ME, 'general', false, now)).toBe(true);
    expect(shouldNotify(mention, ME, 'lobby', false, now)).toBe(false);
    expect(shouldNotify(mention, ME, 'lobby', true, now)).toBe(true);
    expect(shouldNotify(msg({ mentionAll: true }), ME, 'general', false, now)).toBe(true);
    expect(shouldNotify(msg({ mentions: [{ id: 'u-x', name: 'me' }] }), ME, 'general', false, now)).toBe(false);
    expect(shouldNotify(msg({}), ME, 'general', false, now)).toBe(false);
    expect(shouldNotify(msg({ room: 'dm:u-bob:u-me' }), ME, 'general', false, now)).toBe(true);
    expect(shouldNotify(msg({ room: 'dm:u-bob:u-me', uid: ME }), ME, 'general', false, now)).toBe(false);
    expect(shouldNotify(msg({ room: 'dm:u-bob:u-me', change: { kind: 'remove', target: 1 }, deleted: true }), ME, 'general', false, now)).toBe(false);
    expect(shouldNotify(msg({ room: 'dm:u-bob:u-me', ts: now - 10 * 60_000 }), ME, 'general', false, now)).toBe(false);
  });

  it('a muted room notifies nobody', () => {
    const dm = msg({ room: 'dm:u-bob:u-me' });
    setMuted(dm.room, true);
    expect(isMuted(dm.room)).toBe(true);
    expect(shouldNotify(dm, ME, 'general', true, now)).toBe(false);
    setMuted(dm.room, false);
    expect(shouldNotify(dm, ME, 'general', true, now)).toBe(true);
  });

  it('badges show the SDK counts, capped as the server caps them', () => {
    expect(unreadCount({ unread: 3 })).toBe(3);
    expect(unreadCount({})).toBe(0);
    expect(mentionCount({ mentions: 2 })).toBe(2);
    expect(badgeCount(5)).toBe('5');
    expect(badgeCount(99)).toBe('99+');
  });
});
