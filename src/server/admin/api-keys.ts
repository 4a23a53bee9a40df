/**
 * The administrator actions on API keys (docs/api.md): create (the key shown once, its bot user made in
 * the same transaction), list (never a secret), revoke (at once on every node: the HTTP API reads the key on
 * every request; the bot's session tokens are revoked and its open WebSocket connections closed with
 * `key_revoked`, 4016, over the bus). Each action is audited before it is carried out.
 */
import { CloseCode, ErrorCode } from '../../protocol/codes.js';
import type { AdminApiKey, AdminApiKeysResponse, CreateApiKeyResponse, RevokeApiKeyResponse } from '../../protocol/admin.js';
import type { ErrorFrame } from '../../protocol/types.js';
import { ApiKeyInputError, makeApiKey, parseScopes } from '../auth/api-keys.js';
import { publishEvent, userTopic, type Bus } from '../bus/bus.js';
import { StoreConflictError, type AdminStore, type ApiKeyRecord, type ChatStore, type UserRecord } from '../store/store.js';
import { AdminError } from './actions.js';

const LIST_MAX = 500;
const KEY_ID_RE = /^[0-9a-f]{16}$/;

/** A key as the admin API shows it (no secret, no hash). */
export function publicKey(k: ApiKeyRecord): AdminApiKey {
  const out: AdminApiKey = { id: k.id, name: k.name, uid: k.uid, scopes: k.scopes, createdAt: k.createdAt, createdBy: k.createdBy, createdByName: k.createdByName };
  if (k.lastUsedAt !== undefined) out.lastUsedAt = k.lastUsedAt;
  if (k.revokedAt !== undefined) out.revokedAt = k.revokedAt;
  return out;
}

/** Creates a key (CLI and admin API share this); AdminError 400/409 on bad input or a taken name. */
export async function createKey(store: AdminStore, creator: { id: string; name: string }, body: Record<string, unknown>): Promise<CreateApiKeyResponse> {
  let made;
  try {
    made = makeApiKey(body.name as string, parseScopes(body.scopes), creator);
  } catch (err) {
    if (err instanceof ApiKeyInputError) throw new AdminError(400, err.code, err.message);
    throw err;
  }
  try {
    await store.createApiKey(made.record, made.bot);
  } catch (err) {
    if (err instanceof StoreConflictError) throw new AdminError(409, 'name_taken', `the name "${made.bot.name}" belongs to an account or another bot: pick another`);
    throw err;
  }
  return { key: made.key, apiKey: publicKey(made.record) };
}

/** Revokes a key: the row, the bot's tokens, its live connections (every node). */
export async function revokeKey(store: AdminStore & Pick<ChatStore, 'bumpTokenGen'>, bus: Bus | null, id: string, at = Date.now()): Promise<RevokeApiKeyResponse> {
  if (!KEY_ID_RE.test(id)) throw new AdminError(404, 'no_such_key', `no API key "${id}"`);
  const k = await store.revokeApiKey(id, at);
  if (!k) throw new AdminError(404, 'no_such_key', `no API key "${id}"`);
  await store.bumpTokenGen(k.uid);
  if (bus) {
    const ev: ErrorFrame = { type: 'error', code: ErrorCode.key_revoked, message: 'this API key was revoked by an administrator' };
    publishEvent(bus, userTopic(k.uid), ev, { control: { kind: 'close', code: CloseCode.keyRevoked, reason: ErrorCode.key_revoked } });
  }
  return { id, revokedAt: k.revokedAt ?? at, disconnected: bus !== null };
}

export class ApiKeyActions {
  constructor(private readonly d: { store: AdminStore & Pick<ChatStore, 'bumpTokenGen'>; bus: Bus }) {}

  private async audit(actor: UserRecord, action: string, target: string, detail: Record<string, unknown>): Promise<void> {
    await this.d.store.addAudit({ at: Date.now(), actorId: actor.id, actor: actor.name, action, target, detail: JSON.stringify(detail) });
  }

  async list(): Promise<AdminApiKeysResponse> {
    return { keys: (await this.d.store.listApiKeys(LIST_MAX)).map(publicKey) };
  }

  async create(actor: UserRecord, body: Record<string, unknown>): Promise<CreateApiKeyResponse> {
    const r = await createKey(this.d.store, actor, body);
    // After it exists (the id is only known then); a failed create wrote nothing to audit.
    await this.audit(actor, 'api_key_create', r.apiKey.name, { id: r.apiKey.id, scopes: r.apiKey.scopes, uid: r.apiKey.uid });
    return r;
  }

  async revoke(actor: UserRecord, id: string): Promise<RevokeApiKeyResponse> {
    const k = KEY_ID_RE.test(id) ? await this.d.store.getApiKey(id) : null;
    if (!k) throw new AdminError(404, 'no_such_key', `no API key "${id}"`);
    await this.audit(actor, 'api_key_revoke', k.name, { id, uid: k.uid });
    return revokeKey(this.d.store, this.d.bus, id);
  }
}
