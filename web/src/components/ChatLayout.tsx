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
import { SearchPanel } from './SearchPanel.js';
import { ThreadPanel } from './ThreadPanel.js';
import { useStore } from '../chat/react.js';

/** "You were added to #team" (an invite adds you directly): shown until dismissed or the room is opened. */
function Notice() {
  const store = useStore();
  const notice = useChat((s) => s.notice);
  if (!notice) return null;
  return (
    <div className="notice" role="status">
      <span>{notice.text}</span>{' '}
      {notice.room && (
        <button
          type="button"
          className="link"
          onClick={() => {
            store.openRoom(notice.room!);
            store.dismissNotice();
          }}
        >
          Open
        </button>
      )}
      <button type="button" className="ghost" onClick={() => store.dismissNotice()} aria-label="Dismiss the notice">
        ×
      </button>
    </div>
  );
}

export function ChatLayout() {
  const active = useChat((s) => s.active);
  const rooms = useChat((s) => s.rooms);
  const room = rooms.find((r) => r.id === active);
  const [drawer, setDrawer] = useState(false);
  const [membersOpen, setMembersOpen] = useState(false);
  const [searchOpen, setSearchOpen] = useState(false);
  const store = useStore();
  const thread = useChat((s) => (s.thread?.room === s.active ? s.thread : undefined));
  const searchButton = useRef<HTMLButtonElement>(null);
  const narrow = () => typeof window !== 'undefined' && window.matchMedia?.('(max-width: 760px)').matches;
  const closeSearch = useCallback(() => {
    setSearchOpen(false);
    searchButton.current?.focus();
  }, []);
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
    <div
      className="app"
      data-drawer={drawer ? 'open' : 'closed'}
      data-members={membersOpen ? 'open' : 'closed'}
      data-side={searchOpen || (thread && room) ? 'open' : 'closed'}
    >
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
        <button type="button" className="search-open" ref={searchButton} onClick={() => setSearchOpen(true)} aria-expanded={searchOpen} aria-label="Search messages" title="Search messages">
          <span aria-hidden="true">⌕</span> <span className="search-open-label">Search</span>
        </button>
        <ConnectionBanner />
        <Notice />
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
      {searchOpen ? (
        <SearchPanel room={active} onClose={closeSearch} onOpened={() => narrow() && setSearchOpen(false)} />
      ) : thread && room ? (
        <ThreadPanel key={`${thread.room} ${thread.seq}`} room={room} seq={thread.seq} onClose={() => store.openThread(room.id, null)} />
      ) : (
        room && <MembersPanel room={room} open={membersOpen} onClose={() => setMembersOpen(false)} />
      )}
    </div>
  );
}
