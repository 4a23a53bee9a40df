/**
 * Message text as text: every part is a React text node or an <a> built here, so markup in a
 * message (`<img src=x onerror=...>`) shows literally. Links are http(s) only and open in a new
 * tab without access to this page (rel="noopener noreferrer").
 */
import { memo } from 'react';
import { linkify } from '../lib/linkify.js';

export const MessageText = memo(function MessageText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((seg, i) =>
        seg.kind === 'link' ? (
          <a key={i} href={seg.href} target="_blank" rel="noopener noreferrer">
            {seg.text}
          </a>
        ) : (
          <span key={i}>{seg.text}</span>
        ),
      )}
    </>
  );
});
