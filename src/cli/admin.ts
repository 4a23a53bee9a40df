/**
 * `scale-chat admin grant NAME | revoke NAME | list`: the operator decides who is an administrator, on the
 * server host, by opening the configured store directly (the same --data-dir / --postgres-url flags and
 * SCALE_CHAT_* variables as `serve`). The role is kept in the store setting `admins` (account ids), read by
 * every node on every admin request: no restart needed, a running server may keep the store open.
 * NAME may also be an account id (`u` + 16 hex digits). Exit codes: 0 done, 1 failed (no such account,
 * store unreachable), 2 bad arguments.
 *
 * `scale-chat admin key create NAME --scopes publish,rooms,history | key list | key revoke ID`: API keys
 * (docs/api.md), in the same store; the key is printed once. A revoke here refuses the key at once on every
 * node (HTTP API and new WebSocket connections); the bot's open WebSocket connections are closed at once
 * only by a revoke through the admin API (DELETE /admin/api/keys/ID), which reaches every node's bus.
 */
import type { Command } from 'commander';
import type { ChatStore, Store, UserRecord } from '../server/store/store.js';
import { AdminCliError, withAdminStore, withStoreFlags, type StoreFlags } from './admin-store.js';
import { registerWebhookAdmin } from './admin-webhook.js';

export { AdminCliError };

export type AdminAction = 'grant' | 'revoke' | 'list';


async function findAccount(store: ChatStore, raw: string): Promise<UserRecord> {
  const { USER_ID_RE } = await import('../server/admin/authz.js');
  const { isValidName } = await import('../protocol/rules.js');
  const { nameKey } = await import('../server/common/name-key.js');
  let user: UserRecord | null = null;
  if (USER_ID_RE.test(raw)) user = await store.getUser(raw);
  else if (isValidName(raw)) user = await store.findAccount(nameKey(raw));
  else throw new AdminCliError(`"${raw}" is neither a user name nor an account id`, 2);
  if (!user || !user.account) throw new AdminCliError(`no account "${raw}" (only accounts can be admins: register it first)`, 1);
  return user;
}

/** Runs one action on an open store; returns the lines to print. */
export async function runAdmin(store: ChatStore, action: AdminAction, name?: string): Promise<string[]> {
  const { grantedAdmins, setAdmin } = await import('../server/admin/authz.js');
  if (action === 'list') {
    const ids = await grantedAdmins(store);
    if (!ids.length) return ['no account has been granted the admin role (scale-chat admin grant NAME)'];
    const lines: string[] = [];
    for (const id of ids) lines.push(`${id}\t${(await store.getUser(id))?.name ?? '(no such account)'}`);
    return lines;
  }
  if (!name) throw new AdminCliError(`admin ${action}: a NAME is needed`, 2);
  const user = await findAccount(store, name);
  const changed = await setAdmin(store, user.id, action === 'grant');
  const who = `${user.name} (${user.id})`;
  if (action === 'grant') return [changed ? `${who} is now an admin` : `${who} was already an admin`];
  return [changed ? `${who} is no longer an admin` : `${who} was not an admin`];
}

export type KeyAction = 'create' | 'list' | 'revoke';

/** The operator at the server host, as API keys and the audit log name the creator of a key made here. */
const CLI_ACTOR = { id: 'cli', name: 'scale-chat admin (cli)' };

/** Runs one API key action on an open store; returns the lines to print. */
export async function runKeyAdmin(store: Store, action: KeyAction, arg: string | undefined, scopes: string | undefined): Promise<string[]> {
  const { createKey, publicKey, revokeKey } = await import('../server/admin/api-keys.js');
  const { AdminError } = await import('../server/admin/actions.js');
  const audit = (action: string, target: string, detail: Record<string, unknown>) =>
    store.addAudit({ at: Date.now(), actorId: CLI_ACTOR.id, actor: CLI_ACTOR.name, action, target, detail: JSON.stringify(detail) });
  try {
    if (action === 'list') {
      const keys = (await store.listApiKeys(500)).map(publicKey);
      if (!keys.length) return ['no API keys (scale-chat admin key create NAME --scopes publish)'];
      return keys.map((k) => `${k.id}\t${k.name}\t${k.scopes.join(',')}\t${k.revokedAt !== undefined ? `revoked ${new Date(k.revokedAt).toISOString()}` : 'live'}\tlast used ${k.lastUsedAt !== undefined ? new Date(k.lastUsedAt).toISOString() : 'never'}`);
    }
    if (!arg) throw new AdminCliError(`admin key ${action}: ${action === 'create' ? 'a NAME' : 'an ID'} is needed`, 2);
    if (action === 'create') {
      const r = await createKey(store, CLI_ACTOR, { name: arg, scopes: (scopes ?? 'publish').split(',').map((x) => x.trim()).filter(Boolean) });
      await audit('api_key_create', r.apiKey.name, { id: r.apiKey.id, scopes: r.apiKey.scopes, uid: r.apiKey.uid });
      return [r.key, `API key ${r.apiKey.id} for bot "${r.apiKey.name}" (${r.apiKey.uid}), scopes ${r.apiKey.scopes.join(',')}: shown once, keep it secret`];
    }
    const k = await store.getApiKey(arg);
    if (!k) throw new AdminCliError(`no API key "${arg}"`, 1);
    await audit('api_key_revoke', k.name, { id: k.id, uid: k.uid });
    await revokeKey(store, null, arg);
    return [`API key ${arg} ("${k.name}") revoked: refused from now on, on every node`];
  } catch (err) {
    if (err instanceof AdminError) throw new AdminCliError(err.message, err.status === 400 ? 2 : 1);
    throw err;
  }
}

export function registerAdmin(program: Command): void {
  const admin = program
    .command('admin')
    .description('grant, revoke or list the admin role, in the configured store (run it on the server host; no restart needed)');
  const add = (name: AdminAction, args: string, description: string) =>
    withStoreFlags(admin.command(`${name}${args}`).description(description)).action(async (...a: unknown[]) => {
      const nameArg = args ? (a[0] as string) : undefined;
      const opts = (args ? a[1] : a[0]) as StoreFlags;
      await withAdminStore(`scale-chat admin ${name}`, opts, (store) => runAdmin(store, name, nameArg));
    });
  add('grant', ' <name>', 'make an account an administrator (NAME or account id)');
  add('revoke', ' <name>', 'take the admin role back (NAME or account id)');
  add('list', '', 'list the accounts granted the admin role');

  const key = admin.command('key').description('create, list or revoke API keys (the HTTP API, bots: docs/api.md)');
  const addKey = (name: KeyAction, args: string, description: string) =>
    withStoreFlags(key.command(`${name}${args}`).description(description))
      .option('--scopes <list>', 'create: comma-separated scopes, of publish,rooms,history (default: publish)')
      .action(async (...a: unknown[]) => {
        const arg = args ? (a[0] as string) : undefined;
        const opts = (args ? a[1] : a[0]) as StoreFlags & { scopes?: string };
        await withAdminStore(`scale-chat admin key ${name}`, opts, (store) => runKeyAdmin(store, name, arg, opts.scopes));
      });
  addKey('create', ' <name>', 'make an API key and its bot user NAME; prints the key once');
  addKey('list', '', 'list the API keys (never their secrets)');
  addKey('revoke', ' <id>', 'revoke an API key by its id');

  registerWebhookAdmin(admin);
}
