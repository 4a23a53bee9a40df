/**
 * The admin API's webhook endpoints (router.ts routes /admin/api/webhooks here; docs/integration.md#3-webhooks):
 * create (the signing secret is in that answer only), list, change (enable/disable, events, description,
 * url, a new secret), delete, and the delivery log. Called only after the caller was authorized; each
 * change validates its input (AdminError 400/404, nothing changed), writes its audit row (never the
 * secret), then acts.
 */
import { randomBytes } from 'node:crypto';
import { isWebhookEventType, WEBHOOK_EVENT_TYPES, type AdminWebhook, type AdminWebhookCreated, type AdminWebhookDeleted, type AdminWebhookDeliveriesResponse, type AdminWebhookPatchResponse, type AdminWebhooksResponse, type WebhookEventType } from '../../protocol/webhooks.js';
import type { AdminStore, UserRecord } from '../store/store.js';
import type { WebhookPatch, WebhookRecord, WebhookStore, WebhookWithCounts } from '../store/webhooks.js';
import { newSecret } from '../webhooks/signer.js';
import { checkWebhookUrl } from '../webhooks/url.js';
import { AdminError } from './actions.js';

const DESCRIPTION_MAX = 200;
/** Endpoints in all (each one is polled by every node). */
export const WEBHOOKS_MAX = 50;
const ID_RE = /^wh_[0-9a-f]{16}$/;

export interface WebhookAdminDeps {
  store: WebhookStore;
  auditLog: Pick<AdminStore, 'addAudit'>;
  allowHosts: readonly string[];
  /** Tells this node's dispatcher to look now (optional). */
  kick?: () => void;
}

function toAdmin(w: WebhookWithCounts): AdminWebhook {
  return { id: w.id, url: w.url, description: w.description, events: w.events, enabled: w.enabled, createdAt: w.createdAt, pending: w.pending, failed: w.failed, delivered: w.delivered };
}

function events(raw: unknown): WebhookEventType[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > WEBHOOK_EVENT_TYPES.length * 2 || !raw.every(isWebhookEventType)) {
    throw new AdminError(400, 'events_invalid', `"events" must be a list of ${WEBHOOK_EVENT_TYPES.join(', ')} (empty or absent: every type)`);
  }
  return [...new Set(raw)];
}

function description(raw: unknown): string {
  if (raw === undefined) return '';
  if (typeof raw !== 'string' || raw.length > DESCRIPTION_MAX) throw new AdminError(400, 'description_invalid', `"description" must be text of at most ${DESCRIPTION_MAX} characters`);
  return raw;
}

export class WebhookAdmin {
  constructor(private readonly d: WebhookAdminDeps) {}

  private async audit(actor: UserRecord, action: string, target: string, detail: Record<string, unknown> = {}): Promise<void> {
    await this.d.auditLog.addAudit({ at: Date.now(), actorId: actor.id, actor: actor.name, action, target, detail: JSON.stringify(detail) });
  }

  private url(raw: unknown): string {
    const u = checkWebhookUrl(raw, this.d.allowHosts);
    if (!u.ok) throw new AdminError(400, 'url_invalid', u.reason);
    return u.url;
  }

  /** The endpoint with its counts (for answers), or 404. */
  private async one(id: string): Promise<WebhookWithCounts> {
    const w = ID_RE.test(id) ? (await this.d.store.listWebhooks()).find((x) => x.id === id) : undefined;
    if (!w) throw new AdminError(404, 'no_such_webhook', `no webhook "${id}"`);
    return w;
  }

  /** That the endpoint exists (one row read), or 404. */
  private async exists(id: string): Promise<WebhookRecord> {
    const w = ID_RE.test(id) ? await this.d.store.getWebhook(id) : null;
    if (!w) throw new AdminError(404, 'no_such_webhook', `no webhook "${id}"`);
    return w;
  }

  async list(): Promise<AdminWebhooksResponse> {
    return { webhooks: (await this.d.store.listWebhooks()).map(toAdmin) };
  }

  async create(actor: UserRecord, body: Record<string, unknown>): Promise<AdminWebhookCreated> {
    const url = this.url(body.url);
    const ev = events(body.events);
    const desc = description(body.description);
    if (body.enabled !== undefined && typeof body.enabled !== 'boolean') throw new AdminError(400, 'enabled_invalid', '"enabled" must be true or false');
    if ((await this.d.store.listWebhooks()).length >= WEBHOOKS_MAX) throw new AdminError(409, 'too_many_webhooks', `at most ${WEBHOOKS_MAX} webhook endpoints`);
    const id = `wh_${randomBytes(8).toString('hex')}`;
    const secret = newSecret();
    await this.audit(actor, 'webhook_add', id, { url, events: ev, description: desc });
    await this.d.store.createWebhook({ id, url, description: desc, events: ev, secret, enabled: body.enabled !== false, createdAt: Date.now(), createdBy: actor.id });
    this.d.kick?.();
    return { webhook: toAdmin(await this.one(id)), secret };
  }

  async patch(actor: UserRecord, id: string, body: Record<string, unknown>): Promise<AdminWebhookPatchResponse> {
    await this.exists(id);
    const p: WebhookPatch = {};
    if (body.enabled !== undefined) {
      if (typeof body.enabled !== 'boolean') throw new AdminError(400, 'enabled_invalid', '"enabled" must be true or false');
      p.enabled = body.enabled;
    }
    if (body.url !== undefined) p.url = this.url(body.url);
    if (body.events !== undefined) p.events = events(body.events);
    if (body.description !== undefined) p.description = description(body.description);
    if (body.rotateSecret !== undefined && typeof body.rotateSecret !== 'boolean') throw new AdminError(400, 'rotate_invalid', '"rotateSecret" must be true or false');
    const secret = body.rotateSecret === true ? newSecret() : undefined;
    if (secret) p.secret = secret;
    if (!Object.keys(p).length) throw new AdminError(400, 'nothing_to_change', 'give enabled, url, events, description or rotateSecret');
    const { secret: _hidden, ...shown } = p;
    await this.audit(actor, 'webhook_change', id, { ...shown, rotateSecret: Boolean(secret) });
    if (!(await this.d.store.updateWebhook(id, p))) throw new AdminError(404, 'no_such_webhook', `no webhook "${id}"`);
    this.d.kick?.();
    const out: AdminWebhookPatchResponse = { webhook: toAdmin(await this.one(id)) };
    if (secret) out.secret = secret;
    return out;
  }

  async remove(actor: UserRecord, id: string): Promise<AdminWebhookDeleted> {
    const w = await this.exists(id);
    await this.audit(actor, 'webhook_remove', id, { url: w.url });
    if (!(await this.d.store.deleteWebhook(id))) throw new AdminError(404, 'no_such_webhook', `no webhook "${id}"`);
    return { id };
  }

  async deliveries(id: string, limit: number, before?: number): Promise<AdminWebhookDeliveriesResponse> {
    await this.exists(id);
    return { deliveries: await this.d.store.listDeliveries(id, limit, before) };
  }
}
