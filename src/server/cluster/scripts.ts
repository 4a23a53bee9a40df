/**
 * Lua scripts of the Redis cluster state. Each runs atomically in Redis, so two nodes racing for one name
 * or one user's presence transition can never both win. Every key shares the hash tag `{<prefix>}`, so a
 * Redis Cluster keeps them in one slot and the multi-key scripts stay legal there.
 *
 * Keys (T = `{prefix}`):
 *   T:name:<nameKey>      hash  uid -> holder's user id; n:<node> -> 1 for each node with a connection holding it
 *   T:node:<node>:names   set   name keys this node holds (for sweeping a dead node)
 *   T:on:<uid>            set   nodes where the user has connections
 *   T:online              hash  uid -> display name, users online anywhere
 *   T:node:<node>:users   hash  uid -> name, users online through this node
 *   T:nodes               zset  node -> last heartbeat (Redis server time, ms)
 *   T:agree:<key>         string, first candidate wins (expires)
 */

/** KEYS: name, nodeNames. ARGV: uid, node. -> 1 taken, 0 held by another user. */
export const CLAIM = `
local h = redis.call('HGET', KEYS[1], 'uid')
if h and h ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'n:' .. ARGV[2], 1)
redis.call('SADD', KEYS[2], KEYS[1])
return 1
`;

/** KEYS: name, nodeNames. ARGV: uid, node. -> 1 when the name is now free. */
export const UNCLAIM = `
if redis.call('HGET', KEYS[1], 'uid') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'n:' .. ARGV[2])
redis.call('SREM', KEYS[2], KEYS[1])
if redis.call('HLEN', KEYS[1]) <= 1 then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

/** KEYS: on(uid), online, nodeUsers. ARGV: uid, name, node. -> 1 when the user just came online cluster-wide. */
export const ONLINE = `
redis.call('SADD', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
`;

/** KEYS: on(uid), online, nodeUsers. ARGV: uid, node. -> 1 when the user just went offline cluster-wide. */
export const OFFLINE = `
redis.call('SREM', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('SCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
  return redis.call('HDEL', KEYS[2], ARGV[1])
end
return 0
`;

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS: nodes. ARGV: node. -> 1 when this node was missing (first beat, swept as dead, or Redis lost its data). */
export const HEARTBEAT = `${NOW}
return redis.call('ZADD', KEYS[1], now, ARGV[1])
`;

/**
 * Removes one node's users and names. Lua helper shared by SWEEP and RESYNC: appends users who are now offline
 * everywhere to `gone` (uid, name pairs).
 */
const DROP_NODE = `
local function drop_node(T, node, keep_names, keep_users, gone)
  local users_key = T .. ':node:' .. node .. ':users'
  local users = redis.call('HGETALL', users_key)
  for i = 1, #users, 2 do
    local uid, name = users[i], users[i + 1]
    if not (keep_users and keep_users[uid]) then
      local on_key = T .. ':on:' .. uid
      redis.call('SREM', on_key, node)
      redis.call('HDEL', users_key, uid)
      if redis.call('SCARD', on_key) == 0 then
        redis.call('DEL', on_key)
        if redis.call('HDEL', T .. ':online', uid) == 1 then
          table.insert(gone, uid)
          table.insert(gone, name)
        end
      end
    end
  end
  local names_key = T .. ':node:' .. node .. ':names'
  for _, nk in ipairs(redis.call('SMEMBERS', names_key)) do
    if not (keep_names and keep_names[nk]) then
      redis.call('HDEL', nk, 'n:' .. node)
      redis.call('SREM', names_key, nk)
      if redis.call('HLEN', nk) <= 1 then redis.call('DEL', nk) end
    end
  end
end
`;

/** KEYS: nodes. ARGV: ttlMs, T. Removes nodes silent for ttlMs. -> {deadNodes..., '', uid, name, uid, name...} */
export const SWEEP = `${NOW}${DROP_NODE}
local T = ARGV[2]
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
local gone = {}
for _, node in ipairs(dead) do
  drop_node(T, node, nil, nil, gone)
  redis.call('ZREM', KEYS[1], node)
end
local out = {}
for _, n in ipairs(dead) do table.insert(out, n) end
table.insert(out, '')
for _, v in ipairs(gone) do table.insert(out, v) end
return out
`;

/**
 * Makes Redis agree with this node's own view (after a reconnect, or after it was swept while alive).
 * KEYS: nodes. ARGV: node, T, JSON {names: [[nameKey, uid]...], users: [[uid, name]...]}.
 * -> {'gone', uid, name..., 'came', uid, name..., 'conflicts', nameKey...}
 */
export const RESYNC = `${NOW}${DROP_NODE}
local node, T = ARGV[1], ARGV[2]
local want = cjson.decode(ARGV[3])
local keep_names, keep_users = {}, {}
for _, p in ipairs(want.names) do keep_names[T .. ':name:' .. p[1]] = p[2] end
for _, p in ipairs(want.users) do keep_users[p[1]] = p[2] end
local gone, came, conflicts = {}, {}, {}
drop_node(T, node, keep_names, keep_users, gone)
for _, p in ipairs(want.names) do
  local nk = T .. ':name:' .. p[1]
  local h = redis.call('HGET', nk, 'uid')
  if h and h ~= p[2] then
    table.insert(conflicts, p[1])
  else
    redis.call('HSET', nk, 'uid', p[2], 'n:' .. node, 1)
    redis.call('SADD', T .. ':node:' .. node .. ':names', nk)
  end
end
for _, p in ipairs(want.users) do
  redis.call('SADD', T .. ':on:' .. p[1], node)
  redis.call('HSET', T .. ':node:' .. node .. ':users', p[1], p[2])
  if redis.call('HSETNX', T .. ':online', p[1], p[2]) == 1 then
    table.insert(came, p[1])
    table.insert(came, p[2])
  end
end
redis.call('ZADD', KEYS[1], now, node)
local out = {'gone'}
for _, v in ipairs(gone) do table.insert(out, v) end
table.insert(out, 'came')
for _, v in ipairs(came) do table.insert(out, v) end
table.insert(out, 'conflicts')
for _, v in ipairs(conflicts) do table.insert(out, v) end
return out
`;

/** KEYS: nodes. ARGV: node, T. A clean exit: drop this node at once. -> {uid, name, ...} now offline everywhere */
export const LEAVE = `${DROP_NODE}
local gone = {}
drop_node(ARGV[2], ARGV[1], nil, nil, gone)
redis.call('ZREM', KEYS[1], ARGV[1])
return gone
`;
