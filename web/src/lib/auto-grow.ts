/** A textarea that grows with its text, up to its CSS max-height (the composers). */
import { useLayoutEffect, type RefObject } from 'react';

export function useAutoGrow(input: RefObject<HTMLTextAreaElement | null>, text: string): void {
  useLayoutEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [input, text]);
}
