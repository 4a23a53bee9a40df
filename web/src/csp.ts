/**
 * Imported first by main.tsx, before any zod schema is built: the server's Content-Security-Policy
 * (src/server/transport/http.ts) allows no eval, and zod's JIT probe (`new Function`) would be reported as a
 * `securitypolicyviolation` even though zod catches the error. Jitless zod validates the same, without eval.
 */
import { z } from 'zod';

z.config({ jitless: true });
