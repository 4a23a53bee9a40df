/**
 * The message list, windowed: only the rows in view (plus a margin) are in the DOM, however many
 * messages are loaded, so a room with 10,000 loaded messages scrolls like one with 50.
 *
 * Geometry is in ListLayout (measured heights, estimates for rows never shown). Scroll position is
 * kept by an anchor: the first row in view and how far into it the viewport starts. After every
 * render the rendered rows are measured and the scroll position is restored from the anchor, so
 * prepending an older page, a row changing height or a resize never moves what the user reads.
 * Pinned (at the bottom), the list follows new messages; scrolled up, it stays put and a pill
 * counts the new messages below. Near the top, the next older page is fetched.
 *
 * Message actions (./MessageRow.tsx) are wired here: one message at a time is edited inline; a reply
 * sets the composer's reply target; a quote jumps to the message it quotes (older pages are loaded
 * until it is there, at most JUMP_MAX_PAGES), which is scrolled into view and highlighted a moment.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { MsgEvent } from '../../../src/protocol/types.js';
import { namesakes } from '../../../src/client/index.js';
import { GLOBAL_ROOM } from '../../../src/protocol/rules.js';
import type { PendingMessage } from '../chat/types.js';
import { useChat, useStore } from '../chat/react.js';
import { JUMP_MAX_PAGES } from '../chat/store.js';
import { emptyTimeline, indexOfSeq } from '../chat/timeline.js';
import { roomTitle } from '../lib/format.js';
import { buildRows, estimateRowHeight, type Row } from '../lib/rows.js';
import { ListLayout } from '../lib/virtual.js';
import { MessageRow, type MessageActions } from './MessageRow.js';
import { NewMessagesPill } from './NewMessagesPill.js';

const NO_PENDING: readonly PendingMessage[] = [];
/** Rendered beyond each edge of the viewport (px). */
const OVERSCAN = 600;
/** Fetch older history when the viewport top is this close to the top (px). */
const LOAD_MARGIN = 400;
/** Counts as "at the bottom" within this distance (px). */
const BOTTOM_SLACK = 32;
/** How long a message jumped to stays highlighted (ms). */
const FLASH_MS = 2000;

interface Anchor {
  key: string;
  delta: number;
}

export function MessageList({ room }: { room: string }) {
  const store = useStore();
  const timeline = useChat((s) => s.timelines.get(room)) ?? emptyTimeline;
  const pending = useChat((s) => s.pending.get(room)) ?? NO_PENDING;
  const me = useChat((s) => s.me);
  const online = useChat((s) => s.members.get(GLOBAL_ROOM));
  const roomMembers = useChat((s) => s.members.get(room));
  const info = useChat((s) => s.rooms.find((r) => r.id === room));
  const quotes = useChat((s) => s.quotes.get(room));
  const maxLength = useChat((s) => s.limits?.maxTextLength ?? 4000);
  const label = info ? (info.kind === 'dm' ? roomTitle(info) : `#${info.id}`) : `#${room}`;
  /** The top of the history: "This is the beginning of …". */
  const beginning = info?.kind === 'dm' ? `your conversation with ${roomTitle(info)}` : label;
  const outsideJump = useChat((s) => (s.jump?.room === room ? s.jump : undefined));

  const scroller = useRef<HTMLDivElement>(null);
  const spacer = useRef<HTMLDivElement>(null);
  const windowEl = useRef<HTMLDivElement>(null);
  const layout = useMemo(() => new ListLayout(), []);
  const pinnedRef = useRef(true);
  const anchorRef = useRef<Anchor | null>(null);
  const lastRowKey = useRef<string | undefined>(undefined);
  const [pinned, setPinned] = useState(true);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState({ height: 600, width: 0 });
  const [, remeasured] = useReducer((n: number) => n + 1, 0);
  /** Seq of the newest message when the user scrolled away from the bottom (null while pinned). */
  const [seenSeq, setSeenSeq] = useState<number | null>(null);
  /** The message being edited inline, the one just jumped to (highlighted), and a jump that found nothing. */
  const [editing, setEditing] = useState<number | null>(null);
  const [flashSeq, setFlashSeq] = useState<number | null>(null);
  const [jumpNote, setJumpNote] = useState<string | null>(null);
  /** A jump waiting for its row to be in the layout (set once the message is loaded). */
  const jumpRef = useRef<number | null>(null);
  const timelineRef = useRef(timeline);
  timelineRef.current = timeline;

  // Authors who do not hold their name now (a guest who left and whose name was taken again).
  // Kept as the same Set while its content is the same, so presence changes do not rebuild the rows.
  const markedRef = useRef<ReadonlySet<string>>(new Set());
  const marked = useMemo(() => {
    const next = namesakes(timeline.messages, online?.filter((m) => m.online), roomMembers);
    const prev = markedRef.current;
    if (next.size === prev.size && [...next].every((u) => prev.has(u))) return prev;
    return (markedRef.current = next);
  }, [timeline.messages, online, roomMembers]);

  const rows: Row[] = useMemo(() => {
    const list = buildRows(timeline.messages, pending, me, Date.now(), marked);
    const edgeKey = `edge:${timeline.messages[0]?.seq ?? 'none'}`;
    const more = timeline.hasMore || !timeline.loadedLatest;
    list.unshift({ kind: 'edge', key: edgeKey, more });
    return list;
  }, [timeline.messages, timeline.hasMore, timeline.loadedLatest, pending, me, marked]);

  const rowsSet = useRef<Row[] | null>(null);
  if (rowsSet.current !== rows) {
    layout.setRows(
      rows.map((r) => r.key),
      rows.map(estimateRowHeight),
    );
    rowsSet.current = rows;
  }

  // Where the viewport will be after this render's layout effect (so the right rows are rendered).
  const total = layout.total;
  let top = scrollTop;
  if (pinnedRef.current) top = Math.max(0, total - viewport.height);
  else if (anchorRef.current) {
    const i = layout.indexOf(anchorRef.current.key);
    if (i >= 0) top = layout.offsetOf(i) + anchorRef.current.delta;
  }
  // A jump: the message's row goes to about a third of the viewport, and the list stops following the bottom.
  if (jumpRef.current !== null) {
    const i = layout.indexOf(`m:${jumpRef.current}`);
    if (i >= 0) {
      anchorRef.current = { key: `m:${jumpRef.current}`, delta: -Math.round(viewport.height / 3) };
      pinnedRef.current = false;
      top = Math.max(0, layout.offsetOf(i) + anchorRef.current.delta);
      jumpRef.current = null;
    }
  }
  const [start, end] = layout.range(top, viewport.height, OVERSCAN);

  // Your own new message brings you to the bottom.
  const lastKey = rows[rows.length - 1]?.key;
  if (lastKey !== lastRowKey.current) {
    const last = rows[rows.length - 1];
    if (lastRowKey.current !== undefined && last?.kind === 'pending' && last.pending.status === 'pending') pinnedRef.current = true;
    lastRowKey.current = lastKey;
  }

  useLayoutEffect(() => {
    const el = scroller.current;
    const win = windowEl.current;
    if (!el || !win) return;
    let changed = false;
    for (const child of Array.from(win.children) as HTMLElement[]) {
      const key = child.dataset.key;
      if (key && layout.measure(key, child.getBoundingClientRect().height)) changed = true;
    }
    spacer.current!.style.height = `${layout.total}px`;
    win.style.transform = `translateY(${layout.offsetOf(start)}px)`;
    if (pinnedRef.current) {
      el.scrollTop = el.scrollHeight;
    } else if (anchorRef.current) {
      const i = layout.indexOf(anchorRef.current.key);
      if (i >= 0) {
        const want = layout.offsetOf(i) + anchorRef.current.delta;
        if (Math.abs(el.scrollTop - want) >= 1) el.scrollTop = want;
      }
    }
    if (changed) remeasured();
  });

  // Viewport size; a width change re-flows every row, so old measurements are dropped.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      setViewport((v) => {
        if (v.width !== el.clientWidth && v.width !== 0) layout.resetMeasurements();
        return v.height === el.clientHeight && v.width === el.clientWidth ? v : { height: el.clientHeight, width: el.clientWidth };
      });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [layout]);

  const lastSeq = timeline.messages[timeline.messages.length - 1]?.seq ?? 0;

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const y = el.scrollTop;
    const atBottom = el.scrollHeight - y - el.clientHeight <= BOTTOM_SLACK;
    const wasPinned = pinnedRef.current;
    pinnedRef.current = atBottom;
    setPinned(atBottom); // also when only the ref moved (an own message pinned the list)
    if (atBottom) setSeenSeq(null);
    else if (wasPinned) setSeenSeq(lastSeq);
    // Anchor on the first message in view: message keys never move to another message, unlike the
    // top edge and the day separators (a prepended page of the same day takes over its separator).
    let i = layout.indexAt(y);
    for (let k = i; k < Math.min(layout.count, i + 8); k++) {
      if (/^[mp]:/.test(layout.keyAt(k) ?? '')) {
        i = k;
        break;
      }
    }
    const key = layout.keyAt(i);
    anchorRef.current = key ? { key, delta: y - layout.offsetOf(i) } : null;
    setScrollTop(y);
    if (y < LOAD_MARGIN) store.loadOlder(room);
  }, [layout, lastSeq, room, store]);

  // A short list that does not fill the screen pulls older pages until it does (or history ends);
  // so does a viewport still near the top after a page arrived (no scroll event would come).
  useEffect(() => {
    if (!timeline.loadedLatest || !timeline.hasMore || timeline.loading || timeline.error) return;
    const el = scroller.current;
    const nearTop = !pinnedRef.current && el !== null && el.scrollTop < LOAD_MARGIN;
    if (layout.total < viewport.height + LOAD_MARGIN || nearTop) store.loadOlder(room);
  });

  // Reading the newest message (pinned, page visible) moves the read marker. The room's own last seq
  // counts too: an edit or a reaction is a room event with its own seq, read along with the rest.
  const roomSeq = info?.lastSeq ?? 0;
  useEffect(() => {
    if (!pinned || (lastSeq === 0 && roomSeq === 0)) return;
    const mark = () => document.visibilityState === 'visible' && store.markRead(room);
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [pinned, lastSeq, roomSeq, room, store]);

  const toBottom = useCallback(() => {
    const el = scroller.current;
    pinnedRef.current = true;
    setPinned(true);
    setSeenSeq(null);
    if (el) el.scrollTop = el.scrollHeight;
  }, []);

  let unseen = 0;
  if (!pinned && seenSeq !== null) {
    for (let i = timeline.messages.length - 1; i >= 0 && timeline.messages[i].seq > seenSeq; i--) {
      if (timeline.messages[i].uid !== me?.id) unseen++;
    }
  }

  const onRetry = useCallback((id: string) => store.retry(room, id), [store, room]);
  const onDiscard = useCallback((id: string) => store.discard(room, id), [store, room]);
  const onLoadOlder = useCallback(() => store.loadOlder(room), [store, room]);

  // Who is who, for the people of a reaction: authors of the loaded messages, the room's members, the users online.
  const names = useMemo(() => {
    const map = new Map<string, string>();
    for (const m of timeline.messages) map.set(m.uid, m.user);
    for (const m of online ?? []) map.set(m.id, m.name);
    for (const m of roomMembers ?? []) map.set(m.id, m.name);
    return map;
  }, [timeline.messages, online, roomMembers]);

  const jump = useCallback(
    async (seq: number) => {
      setJumpNote(null);
      const have = indexOfSeq(timelineRef.current.messages, seq) >= 0 || (await store.loadUntil(room, seq));
      if (!have) {
        setJumpNote(`The original message was not found in the last ${JUMP_MAX_PAGES} pages of history.`);
        return;
      }
      jumpRef.current = seq;
      pinnedRef.current = false;
      setPinned(false);
      setSeenSeq((s) => s ?? timelineRef.current.messages[timelineRef.current.messages.length - 1]?.seq ?? 0);
      setFlashSeq(seq);
      remeasured();
    },
    [store, room],
  );

  // The highlight fades by itself; the message jumped to takes the focus (keyboard users continue from there).
  useEffect(() => {
    if (flashSeq === null) return;
    windowEl.current?.querySelector<HTMLElement>(`.msg[data-seq="${flashSeq}"]`)?.focus({ preventScroll: true });
    const t = setTimeout(() => setFlashSeq(null), FLASH_MS);
    return () => clearTimeout(t);
  }, [flashSeq]);
  useEffect(() => {
    if (!jumpNote) return;
    const t = setTimeout(() => setJumpNote(null), 6000);
    return () => clearTimeout(t);
  }, [jumpNote]);

  const actions: MessageActions = useMemo(
    () => ({
      setEditing,
      saveEdit: (seq, text) => store.edit(room, seq, text),
      remove: (seq) => store.remove(room, seq),
      react: (seq, emoji, on) => store.react(room, seq, emoji, on),
      reply: (seq) => {
        store.setReply(room, seq);
        document.getElementById('composer-input')?.focus();
      },
      jump: (seq) => void jump(seq),
      needQuote: (seq) => store.loadQuote(room, seq),
      openThread: (seq) => store.openThread(room, seq),
    }),
    [store, room, jump],
  );

  // A jump asked for from elsewhere (a search result): taken once, when this room's list shows.
  useEffect(() => {
    if (!outsideJump) return;
    store.jumpTaken(outsideJump.n);
    void jump(outsideJump.seq);
  }, [outsideJump, store, jump]);

  // The replies of each message, among the loaded ones (docs/protocol.md 6.14: those whose replyTo is its seq).
  const replyCounts = useMemo(() => {
    const counts = new Map<number, number>();
    for (const m of timeline.messages) if (m.replyTo !== undefined && !m.deleted) counts.set(m.replyTo, (counts.get(m.replyTo) ?? 0) + 1);
    return counts;
  }, [timeline.messages]);

  const quotedOf = (row: Row): MsgEvent | null | undefined => {
    const seq = row.kind === 'msg' ? row.msg.replyTo : row.kind === 'pending' ? row.pending.replyTo : undefined;
    if (seq === undefined) return undefined;
    const i = indexOfSeq(timeline.messages, seq);
    return i >= 0 ? timeline.messages[i] : quotes?.get(seq);
  };

  return (
    <div className="list-wrap">
      <div
        className="list"
        ref={scroller}
        onScroll={onScroll}
        role="log"
        aria-label={`Messages in ${label}`}
        tabIndex={0}
        data-count={timeline.messages.length}
        data-rendered={end - start}
        data-pinned={pinned}
      >
        <div className="list-spacer" ref={spacer} style={{ height: total }}>
          <div className="list-window" ref={windowEl} style={{ transform: `translateY(${layout.offsetOf(start)}px)` }}>
            {rows.slice(start, end).map((row) => (
              <div key={row.key} data-key={row.key} className="list-row">
                <MessageRow
                  row={row}
                  roomLabel={beginning}
                  meName={me?.name ?? ''}
                  meId={me?.id ?? ''}
                  loading={timeline.loading}
                  error={timeline.error}
                  onRetry={onRetry}
                  onDiscard={onDiscard}
                  onLoadOlder={onLoadOlder}
                  actions={actions}
                  editing={row.kind === 'msg' && row.msg.seq === editing}
                  flash={row.kind === 'msg' && row.msg.seq === flashSeq}
                  quoted={quotedOf(row)}
                  replies={row.kind === 'msg' ? replyCounts.get(row.msg.seq) : undefined}
                  names={names}
                  maxLength={maxLength}
                />
              </div>
            ))}
          </div>
        </div>
      </div>
      {!pinned && unseen > 0 && <NewMessagesPill count={unseen} onClick={toBottom} />}
      {jumpNote && (
        <div className="jump-note" role="status">
          {jumpNote}
        </div>
      )}
    </div>
  );
}
