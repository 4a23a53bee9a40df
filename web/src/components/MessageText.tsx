/**
 * Message text, formatted with the safe Markdown subset of ../lib/markdown.tsx: every part is a React
 * text node or an element built there, so markup in a message (`<img src=x onerror=...>`) shows
 * literally. Links are http(s) only and open in a new tab without access to this page.
 */
import { memo } from 'react';
import { Markdown, type MentionView } from '../lib/markdown.js';

export const MessageText = memo(function MessageText({ text, mentions }: { text: string; mentions?: MentionView }) {
  return <Markdown text={text} mentions={mentions} />;
});
