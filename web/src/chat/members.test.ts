import { describe, expect, it } from 'vitest';
import type { RoomInfo } from '../../../src/protocol/types.js';
import { applyMember, applyPresence, sortRooms } from './members.js';

const u = (id: string) => ({ id, name: id });

describe('member lists', () => {
  it('general: presence adds and removes users online', () => {
    const { list, delta } = applyPresence([{ ...u('bo'), online: true }], { type: 'presence', room: 'general', online: [u('al')], offline: [u('bo')] }, true);
    expect(list).toEqual([{ ...u('al'), online: true }]);
    expect(delta).toBe(0);
  });

  it('other rooms: presence flips the dot, members join and leave', () => {
    const start = [{ ...u('al'), online: true }, { ...u('bo'), online: true }];
    const { list } = applyPresence(start, { type: 'presence', room: 'r', online: [], offline: [u('al')] }, false);
    expect(list).toEqual([{ ...u('bo'), online: true }, { ...u('al'), online: false }]);
    const joined = applyMember(list, { type: 'member', room: 'r', user: u('cy'), action: 'joined' }, () => true);
    expect(joined.map((x) => x.id)).toEqual(['bo', 'cy', 'al']);
    expect(applyMember(joined, { type: 'member', room: 'r', user: u('bo'), action: 'left' }, () => true).map((x) => x.id)).toEqual(['cy', 'al']);
  });

  it('sorts rooms: general, rooms by name, DMs by peer', () => {
    const r = (id: string, kind: RoomInfo['kind'], peer?: string): RoomInfo => ({ id, kind, lastSeq: 0, lastRead: 0, members: 1, ...(peer ? { peer: u(peer) } : {}) });
    expect(sortRooms([r('dm:1:2', 'dm', 'zed'), r('b', 'public'), r('dm:1:3', 'dm', 'amy'), r('general', 'global'), r('a', 'private')]).map((x) => x.id)).toEqual(['general', 'a', 'b', 'dm:1:3', 'dm:1:2']);
  });
});
