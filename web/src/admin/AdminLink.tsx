/** A sidebar link to the admin page, shown only when the server says this user is an administrator. */
import { useEffect, useState } from 'react';
import type { AdminMeResponse } from '../../../src/protocol/admin.js';
import { adminCall } from './api.js';

export function AdminLink() {
  const [admin, setAdmin] = useState(false);
  useEffect(() => {
    let live = true;
    adminCall<AdminMeResponse>('GET', 'me').then(
      (r) => live && setAdmin(r.admin),
      () => live && setAdmin(false),
    );
    return () => {
      live = false;
    };
  }, []);
  if (!admin) return null;
  return (
    <a className="admin-link small" href="/admin">
      Administration
    </a>
  );
}
