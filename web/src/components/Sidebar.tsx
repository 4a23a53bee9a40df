/** The sidebar: who you are, your rooms and DMs, creating and browsing rooms, who is online. */
import { useEffect, useRef, useState } from 'react';
import { useChat, useStore } from '../chat/react.js';
import { BrowseRooms } from './BrowseRooms.js';
import { CreateRoomForm } from './CreateRoomForm.js';
import { OnlineUsers } from './OnlineUsers.js';
import { RoomList } from './RoomList.js';
import { AdminLink } from '../admin/AdminLink.js';
import { AccountPanel } from './AccountPanel.js';

export function Sidebar({ open, onClose }: { open: boolean; onClose: () => void }) {
  const store = useStore();
  const me = useChat((s) => s.me);
  const ref = useRef<HTMLElement>(null);
  const [account, setAccount] = useState(false);

  // When the drawer opens (phones), move focus into it.
  useEffect(() => {
    if (open) ref.current?.querySelector<HTMLElement>('a, button')?.focus();
  }, [open]);

  return (
    <aside id="sidebar" className="sidebar" ref={ref} aria-label="Rooms and people" data-open={open}>
      <div className="sidebar-top">
        <div className="me">
          <span className="brand">scale-chat</span>
          <span className="me-name" data-testid="me">
            {me?.name}
            <span className="muted small">{me?.account ? ' · account' : ' · guest'}</span>
          </span>
          {me?.account && <AdminLink />}
        </div>
        <button type="button" className="ghost close-drawer" onClick={onClose} aria-label="Close menu">
          ✕
        </button>
      </div>
      <div className="sidebar-scroll">
        <RoomList />
        <CreateRoomForm />
        <BrowseRooms />
        <OnlineUsers />
      </div>
      {account && <AccountPanel onClose={() => setAccount(false)} />}
      <div className="sidebar-bottom">
        <button type="button" className="ghost" onClick={() => setAccount((x) => !x)} aria-expanded={account} data-testid="account-button">
          Account
        </button>
        <button type="button" className="ghost" onClick={() => store.signOut()}>
          Sign out
        </button>
      </div>
    </aside>
  );
}
