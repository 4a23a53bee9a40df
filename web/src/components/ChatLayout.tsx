/**
 * The signed-in screen: sidebar (a drawer on phones), the room (header, banner, messages, typing,
 * composer) and the member panel (a toggle below desktop widths).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useChat } from '../chat/react.js';
import { unreadCount } from '../lib/format.js';
import { Composer } from './Composer.js';
import { ConnectionBanner } from './ConnectionBanner.js';
import { JoinPrompt } from './JoinPrompt.js';
import { MembersPanel } from './MembersPanel.js';
import { MessageList } from './MessageList.js';
import { RoomHeader } from './RoomHeader.js';
import { Sidebar } from './Sidebar.js';
import { TypingIndicator } from './TypingIndicator.js';

export function ChatLayout() {
  const active = useChat((s) => s.active);
  const rooms = useChat((s) => s.rooms);
  const room = rooms.find((r) => r.id === active);
  const [drawer, setDrawer] = useState(false);
  const [membersOpen, setMembersOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);

  const closeDrawer = useCallback(() => {
    setDrawer(false);
    menuButton.current?.focus();
  }, []);

  // Unread messages in other rooms show in the tab title.
  const unread = rooms.reduce((n, r) => (r.id === active ? n : n + unreadCount(r)), 0);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) scale-chat` : 'scale-chat';
  }, [unread]);

  // Picking a room in the drawer closes it (focus goes back to the menu button, not to a hidden link).
  const drawerRef = useRef(drawer);
  drawerRef.current = drawer;
  useEffect(() => {
    if (drawerRef.current) closeDrawer();
  }, [active, closeDrawer]);

  useEffect(() => {
    if (!drawer && !membersOpen) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      if (drawer) closeDrawer();
      setMembersOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [drawer, membersOpen, closeDrawer]);

  return (
    <div className="app" data-drawer={drawer ? 'open' : 'closed'} data-members={membersOpen ? 'open' : 'closed'}>
      <Sidebar open={drawer} onClose={closeDrawer} />
      {drawer && <div className="scrim" onClick={closeDrawer} aria-hidden="true" />}
      <main className="room" aria-label="Conversation" inert={drawer || undefined}>
        <RoomHeader
          room={room}
          roomId={active}
          menuButton={menuButton}
          drawerOpen={drawer}
          onMenu={() => setDrawer(true)}
          membersOpen={membersOpen}
          onMembers={() => setMembersOpen((o) => !o)}
        />
        <ConnectionBanner />
        {room ? (
          <>
            <MessageList key={room.id} room={room.id} />
            <TypingIndicator room={room.id} />
            <Composer key={`c:${room.id}`} room={room} />
          </>
        ) : (
          <JoinPrompt room={active} />
        )}
      </main>
      {room && <MembersPanel room={room} open={membersOpen} onClose={() => setMembersOpen(false)} />}
    </div>
  );
}
