/**
 * The HTTP API module (docs/api.md), composed: routes on the chat's handlers and pipeline, the bearer
 * authenticators, the per-key rate limiter and the router. app.ts builds it once per node and hands
 * `handle` to the HTTP server for paths under API_PREFIX (transport/http.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { LimiterStore } from '../limits/store.js';
import type { BearerAuthenticator } from './auth.js';
import { ApiRateLimiter } from './rate.js';
import { createApiRouter, type ApiRouterDeps } from './router.js';
import { createRoutes, type RouteDeps } from './routes.js';
import { API_PREFIX } from './schemas.js';

export { API_PREFIX };
export { apiKeyAuthenticator, jwtAuthenticator, type BearerAuthenticator, type ApiPrincipal, type ApiAuthResult } from './auth.js';

export interface ApiDeps extends RouteDeps {
  config: RouteDeps['config'] & { apiRatePerSec: number; apiRateBurst: number };
  /** Tried in order for `Authorization: Bearer ...` (./auth.ts). */
  authenticators: readonly BearerAuthenticator[];
  limiterStore: LimiterStore;
  log: Logger;
  clientIp: (req: IncomingMessage) => string;
  metrics?: ApiRouterDeps['metrics'];
}

export interface Api {
  readonly prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createApi(d: ApiDeps): Api {
  const routes = createRoutes(d);
  const rate = new ApiRateLimiter(d.config.apiRatePerSec, d.config.apiRateBurst, d.limiterStore);
  const handle = createApiRouter({ routes, authenticators: d.authenticators, rate, log: d.log, clientIp: d.clientIp, metrics: d.metrics });
  return { prefix: API_PREFIX, handle };
}
