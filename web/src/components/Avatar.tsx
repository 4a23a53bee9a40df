/** A coloured circle with the name's initial (decorative: the name is always shown beside it). */
import { initial, nameHue } from '../lib/format.js';

export function Avatar({ name, size = 'normal' }: { name: string; size?: 'normal' | 'small' }) {
  return (
    <span className={`avatar ${size}`} style={{ '--hue': nameHue(name) } as React.CSSProperties} aria-hidden="true">
      {initial(name)}
    </span>
  );
}
