/**
 * A coloured square with the name's initial (decorative: the name is always shown beside it). The
 * colour comes from the user id, so two users who had the same name at different times differ.
 */
import { hueOf, initial } from '../lib/format.js';

export function Avatar({ name, uid, size = 'normal' }: { name: string; uid: string; size?: 'normal' | 'small' }) {
  return (
    <span className={`avatar ${size}`} style={{ '--hue': hueOf(uid) } as React.CSSProperties} aria-hidden="true">
      {initial(name)}
    </span>
  );
}
