/**
 * Message text as a safe Markdown subset, rendered to React elements built here (never HTML).
 *
 * `marked`'s lexer (a maintained CommonMark/GFM parser) turns the text into tokens; only these become
 * formatting: **bold**, *italic*, ~~strike~~, `inline code`, fenced/indented code blocks, > quotes,
 * - and 1. lists, and links. Everything else the lexer finds (headings, images, tables, rules, raw HTML,
 * link definitions) is shown as the text it was typed as, and so is anything an element would need a
 * dangerous attribute for. Links are http(s) only, with the rules of ./linkify.ts (bare URLs are
 * linkified by it, `[text](url)` links go through its safeHref), and open in a new tab with
 * rel="noopener noreferrer nofollow". Text is always a React text node: `<script>` shows literally.
 *
 * Bounded: text longer than MARKDOWN_MAX_CHARS is not parsed (shown linkified as plain text), and
 * nesting deeper than MARKDOWN_MAX_DEPTH shows the rest as plain text, so neither a pathological input
 * nor a 1000-deep quote can hang the page or exhaust the stack.
 *
 * Mentions: `@name` in the text, when the server resolved that name for the message (`msg.mentions`),
 * becomes a <span class="mention"> (plus `mention-me` when it is you); `@room` too when `msg.mentionAll`.
 */
import { Fragment, type ReactNode } from 'react';
import { Lexer, type Token, type Tokens } from 'marked';
import { linkify, safeHref } from './linkify.js';

/** Longer texts are rendered as plain text (the lexer is superlinear on some inputs). */
export const MARKDOWN_MAX_CHARS = 6000;
/** Quotes and lists nested deeper than this show their content as plain text. */
export const MARKDOWN_MAX_DEPTH = 12;

export const LINK_REL = 'noopener noreferrer nofollow';

export interface MentionView {
  /** Lowercased names the server resolved as mentions of this message. */
  names: ReadonlySet<string>;
  /** `@room` is a mention (the server allowed it). */
  all: boolean;
  /** Your name, lowercased (its mention gets `mention-me`). */
  me?: string;
}

const NO_MENTIONS: MentionView = { names: new Set(), all: false };

/** The mention view of a message. */
export function mentionView(msg: { mentions?: readonly { name: string }[]; mentionAll?: true } | undefined, meName?: string): MentionView {
  if (!msg?.mentions?.length && !msg?.mentionAll) return meName ? { ...NO_MENTIONS, me: meName.toLowerCase() } : NO_MENTIONS;
  return { names: new Set((msg.mentions ?? []).map((m) => m.name.toLowerCase())), all: !!msg.mentionAll, me: meName?.toLowerCase() };
}

/** `@` + a name (section 4.1 of the protocol), not preceded by a name character (so `a@b.c` is not one). */
const MENTION_RE = /(?<![\p{L}\p{N}_.@-])@([\p{L}\p{N}][\p{L}\p{N}_.-]{0,23})/gu;

/** Plain text with its mentions as spans. */
function withMentions(text: string, m: MentionView, key: string): ReactNode[] {
  if (m.names.size === 0 && !m.all) return [text];
  const out: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(MENTION_RE)) {
    // A sentence may end right after the name: "@bob." mentions bob.
    let name = match[1];
    let lower = name.toLowerCase();
    while (!(m.names.has(lower) || (m.all && lower === 'room')) && /[._-]$/.test(name)) {
      name = name.slice(0, -1);
      lower = name.toLowerCase();
    }
    if (!(m.names.has(lower) || (m.all && lower === 'room'))) continue;
    const start = match.index ?? 0;
    if (start > last) out.push(text.slice(last, start));
    const me = lower !== 'room' && m.me === lower;
    out.push(
      <span key={`${key}@${start}`} className={me ? 'mention mention-me' : 'mention'}>
        @{name}
      </span>,
    );
    last = start + 1 + name.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Plain text: its http(s) URLs as links, its mentions as spans. */
function plain(text: string, m: MentionView, key: string): ReactNode[] {
  return linkify(text).map((seg, i) =>
    seg.kind === 'link' ? (
      <a key={`${key}.${i}`} href={seg.href} target="_blank" rel={LINK_REL}>
        {seg.text}
      </a>
    ) : (
      <Fragment key={`${key}.${i}`}>{withMentions(seg.text, m, `${key}.${i}`)}</Fragment>
    ),
  );
}

function inline(tokens: readonly Token[] | undefined, m: MentionView, depth: number, key: string): ReactNode[] {
  if (!tokens) return [];
  return tokens.map((t, i) => inlineToken(t, m, depth, `${key}.${i}`));
}

function inlineToken(t: Token, m: MentionView, depth: number, key: string): ReactNode {
  if (depth > MARKDOWN_MAX_DEPTH) return <Fragment key={key}>{plain(t.raw, m, key)}</Fragment>;
  switch (t.type) {
    case 'text': {
      const tt = t as Tokens.Text;
      if (tt.tokens?.length) return <Fragment key={key}>{inline(tt.tokens, m, depth + 1, key)}</Fragment>;
      return <Fragment key={key}>{plain(tt.text, m, key)}</Fragment>;
    }
    case 'escape':
      return <Fragment key={key}>{(t as Tokens.Escape).text}</Fragment>;
    case 'strong':
      return <strong key={key}>{inline((t as Tokens.Strong).tokens, m, depth + 1, key)}</strong>;
    case 'em':
      return <em key={key}>{inline((t as Tokens.Em).tokens, m, depth + 1, key)}</em>;
    case 'del':
      return <del key={key}>{inline((t as Tokens.Del).tokens, m, depth + 1, key)}</del>;
    case 'codespan':
      return <code key={key}>{(t as Tokens.Codespan).text}</code>;
    case 'br':
      return <br key={key} />;
    case 'link': {
      const l = t as Tokens.Link;
      // A bare URL (GFM autolink): the linkify rules decide what it is.
      if (l.raw === l.text) return <Fragment key={key}>{plain(l.raw, m, key)}</Fragment>;
      const href = safeHref(l.href);
      if (!href) return <Fragment key={key}>{plain(l.raw, m, key)}</Fragment>;
      return (
        <a key={key} href={href} target="_blank" rel={LINK_REL}>
          {inline(l.tokens, m, depth + 1, key)}
        </a>
      );
    }
    default:
      // image, html, and anything else: the text as typed.
      return <Fragment key={key}>{plain(t.raw, m, key)}</Fragment>;
  }
}

function blocks(tokens: readonly Token[], m: MentionView, depth: number, key: string): ReactNode[] {
  return tokens.map((t, i) => block(t, m, depth, `${key}.${i}`));
}

/** Strips the line breaks a block token's raw text ends with (the blocks around it separate it already). */
function rawBlock(t: Token): string {
  return t.raw.replace(/\n+$/, '');
}

function block(t: Token, m: MentionView, depth: number, key: string): ReactNode {
  if (depth > MARKDOWN_MAX_DEPTH) {
    return (
      <p key={key} className="md-plain">
        {plain(rawBlock(t), m, key)}
      </p>
    );
  }
  switch (t.type) {
    case 'space':
      return null;
    case 'paragraph':
      return <p key={key}>{inline((t as Tokens.Paragraph).tokens, m, depth + 1, key)}</p>;
    case 'text': {
      const tt = t as Tokens.Text;
      return <Fragment key={key}>{tt.tokens?.length ? inline(tt.tokens, m, depth + 1, key) : plain(tt.text, m, key)}</Fragment>;
    }
    case 'blockquote':
      return <blockquote key={key}>{blocks((t as Tokens.Blockquote).tokens, m, depth + 1, key)}</blockquote>;
    case 'code':
      return (
        <pre key={key}>
          <code>{(t as Tokens.Code).text}</code>
        </pre>
      );
    case 'list': {
      const l = t as Tokens.List;
      const items = l.items.map((item, i) => <li key={`${key}.${i}`}>{blocks(item.tokens, m, depth + 1, `${key}.${i}`)}</li>);
      if (!l.ordered) return <ul key={key}>{items}</ul>;
      const start = typeof l.start === 'number' && Number.isSafeInteger(l.start) && l.start !== 1 ? l.start : undefined;
      return (
        <ol key={key} start={start}>
          {items}
        </ol>
      );
    }
    default:
      // heading, table, hr, html, def, ...: the text as typed.
      return (
        <p key={key} className="md-plain">
          {plain(rawBlock(t), m, key)}
        </p>
      );
  }
}

/** The lexer (GFM for ~~strike~~ and bare URLs; no "pedantic" legacy rules). */
const lexer = () => new Lexer({ gfm: true, breaks: false, pedantic: false });

/** The rendered nodes of `text`. One plain paragraph renders inline (no <p>), like plain text did. */
export function renderMarkdown(text: string, mentions: MentionView = NO_MENTIONS): ReactNode {
  if (text.length > MARKDOWN_MAX_CHARS) return plain(text, mentions, 'p');
  let tokens: Token[];
  try {
    tokens = lexer().lex(text);
  } catch {
    return plain(text, mentions, 'p'); // e.g. a stack overflow inside the lexer: show it as typed
  }
  const content = tokens.filter((t) => t.type !== 'space');
  if (content.length === 1 && content[0].type === 'paragraph') return inline((content[0] as Tokens.Paragraph).tokens, mentions, 1, 'r');
  return blocks(content, mentions, 0, 'r');
}

/** A message's text, formatted. */
export function Markdown({ text, mentions }: { text: string; mentions?: MentionView }) {
  return <>{renderMarkdown(text, mentions)}</>;
}
