"""The Lua scripts of acd.store_redis; each runs atomically inside Redis.

Conventions: ARGV[1] is the key prefix (with its trailing ':'); an object's hash holds ``v``
(version), ``d`` (JSON of its other fields), ``ix`` (JSON list of its index entries
``[index, score, member]``) and the fields an offer changes (``state``, ``status``, ``offered``,
``agent``). Index keys are derived from entries inside the scripts, so this layout needs one Redis
primary (not Redis Cluster).

Each script is its body plus the local functions it uses (the blocks below): ``put`` (the
compare-and-set write), ``claim`` (one call to one agent), ``claim_best`` (the agent's best bucket
head, then ``claim``) and ``count_queue``. PUT_CLAIM_BEST does what PUT, CLAIM_BEST and
QUEUE_COUNTS do, in one script, so an agent that becomes ready is written and offered its call in
one round trip, with the same checks and the same end state as the three.

The writing scripts (PUT, DELETE, CLAIM, CLAIM_BEST, PUT_CLAIM_BEST) run wrapped in :func:`once`
(acd.redis_once says why).
"""

from __future__ import annotations


def once(body: str, ttl_s: int = 120) -> str:
    """``body`` run at most once per operation, and only on the data of the epoch the caller knows.

    The caller appends two keys, the epoch key and the operation record ``<prefix>op:<token>``, and one
    argument, the epoch it knows; ``body`` sees KEYS and ARGV without them. If the operation record
    exists, its recorded reply is returned and nothing runs; if the epoch key does not hold the given
    epoch, the script answers the error ``EPOCH`` and changes nothing; else ``body`` runs and its reply
    is recorded for ``ttl_s`` seconds.
    """
    return f"""
local op = table.remove(KEYS)
local epoch_key = table.remove(KEYS)
local expected = table.remove(ARGV)
local done = redis.call('GET', op)
if done then return cjson.decode(done) end
if redis.call('GET', epoch_key) ~= expected then return redis.error_reply('EPOCH data changed') end
local function run()
{body}
end
local out = run()
redis.call('SET', op, cjson.encode(out), 'EX', {int(ttl_s)})
return out
"""


_INDEX_FNS = """
local function unindex(pfx, ixjson, claimed_only)
  local keep = {}
  if not ixjson then return keep end
  for _, e in ipairs(cjson.decode(ixjson)) do
    local kind = string.match(e[1], '^[^:]+')
    local claimed = kind == 'waiting' or kind == 'bucket' or kind == 'due' or kind == 'ready'
    if claimed or not claimed_only then
      redis.call('ZREM', pfx .. e[1], e[3])
    else
      table.insert(keep, e)
    end
  end
  return keep
end
local function encode(entries)
  if #entries == 0 then return '[]' end
  return cjson.encode(entries)
end
local function has(set, e)
  return set[e[1]] ~= nil and set[e[1]][e[3]] ~= nil
end
local function add(set, e)
  set[e[1]] = set[e[1]] or {}
  set[e[1]][e[3]] = true
end
-- Moves an object's entries from the old list (JSON or false) to the new one: removes the members
-- no longer wanted in an index, then adds every new entry (ZADD of a member already there with the
-- same score changes nothing and costs one hash lookup). A new entry in ``ready:<skill>:<level>``
-- also adds the level to ``levels:<skill>``, so that set names every ready index with members.
local function reindex(pfx, oldjson, newjson)
  if oldjson == newjson then return end
  local new = cjson.decode(newjson)
  local wanted, had = {}, {}
  for _, e in ipairs(new) do add(wanted, e) end
  if oldjson then
    for _, e in ipairs(cjson.decode(oldjson)) do
      if has(wanted, e) then add(had, e) else redis.call('ZREM', pfx .. e[1], e[3]) end
    end
  end
  for _, e in ipairs(new) do
    redis.call('ZADD', pfx .. e[1], e[2], e[3])
    local skill, level = string.match(e[1], '^ready:(.+):(%d+)$')
    if skill and not has(had, e) then redis.call('SADD', pfx .. 'levels:' .. skill, level) end
  end
end
"""

_PUT_FN = """
-- Writes an object whose hash held ``cur`` ({v, ix} as read) with version ``v``: moves its index
-- entries to ``ixjson``, sets the hash fields (``fields``, a list of field/value pairs) and, for a
-- new object, adds ``id`` to the id set.
local function write(pfx, key, ids, id, cur, v, ixjson, fields)
  reindex(pfx, cur[2], ixjson)
  redis.call('HSET', key, 'v', v, 'ix', ixjson, unpack(fields))
  if not cur[1] then redis.call('SADD', ids, id) end
end
-- Writes an object if its stored version is ``expected`` (an absent object has version 0, so a
-- copy of a deleted one is refused too). Returns {1, new version} or {0, stored version}.
local function put(pfx, key, ids, id, expected, ixjson, fields)
  local cur = redis.call('HMGET', key, 'v', 'ix')
  local stored = tonumber(cur[1] or 0)
  if stored ~= tonumber(expected) then return {0, stored} end
  write(pfx, key, ids, id, cur, stored + 1, ixjson, fields)
  return {1, stored + 1}
end
"""

_CLAIM_FN = """
-- A call's {state, v, ix, d}.
local function read_call(ckey)
  return redis.call('HMGET', ckey, 'state', 'v', 'ix', 'd')
end
-- Flips the WAITING call read as ``c`` to OFFERED to ``aid`` and out of the claimed indexes;
-- returns its new version.
local function offer_call(pfx, ckey, c, aid)
  local cv = tonumber(c[2]) + 1
  redis.call('HSET', ckey, 'state', 'offered', 'agent', aid, 'v', cv, 'ix', encode(unindex(pfx, c[3], true)))
  return cv
end
-- Offers the call to the agent only if the call is WAITING and the agent AVAILABLE + IDLE.
-- Returns {1, call d, call v, agent d, agent v, agent status, call id} or {0, 'call'|'agent'}.
local function claim(pfx, ckey, akey, cid, aid)
  local c = read_call(ckey)
  if c[1] ~= 'waiting' then return {0, 'call'} end
  local a = redis.call('HMGET', akey, 'status', 'state', 'v', 'ix', 'd')
  if a[1] ~= 'available' or a[2] ~= 'idle' then return {0, 'agent'} end
  local cv = offer_call(pfx, ckey, c, aid)
  local av = tonumber(a[3]) + 1
  local aix = encode(unindex(pfx, a[4], true))
  redis.call('HSET', akey, 'state', 'offered', 'offered', cid, 'v', av, 'ix', aix)
  return {1, c[4], cv, a[5], av, a[1], cid}
end
"""

_CLAIM_BEST_FN = """
-- The best call for an agent among the heads of bucket sorted sets ``keys`` (of queues
-- ``queues``): per queue the head first in offer order (priority, entered_at, seq), across queues
-- the longest waiting (entered_at, then priority, seq), comparing numbers (never locale-collated
-- strings). Returns {priority, entered_at, seq, call id, queue} or nil when every bucket is empty.
local function parse(m, q)
  local p, e, s, id = string.match(m, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
  return {tonumber(p), tonumber(e), tonumber(s), id, q}
end
local function before(x, y, order)
  for _, i in ipairs(order) do
    if x[i] ~= y[i] then return x[i] < y[i] end
  end
  return false
end
local function best_head(keys, queues)
  local in_queue, across = {1, 2, 3}, {2, 1, 3}
  local per_queue = {}
  for i, key in ipairs(keys) do
    local first = redis.call('ZRANGE', key, 0, 0)[1]
    local q = queues[i]
    if first then
      local f = parse(first, q)
      if per_queue[q] == nil or before(f, per_queue[q], in_queue) then per_queue[q] = f end
    end
  end
  local best = nil
  for _, f in pairs(per_queue) do
    if best == nil or before(f, best, across) then best = f end
  end
  return best
end
-- Claims the best head for the agent. Returns what claim returns, {0, 'agent'} when the agent is
-- not AVAILABLE + IDLE, or {0, 'none'} when no bucket has a call.
local function claim_best(pfx, akey, aid, keys, queues)
  local a = redis.call('HMGET', akey, 'status', 'state')
  if a[1] ~= 'available' or a[2] ~= 'idle' then return {0, 'agent'} end
  local best = best_head(keys, queues)
  if best == nil then return {0, 'none'} end
  return claim(pfx, pfx .. 'c:' .. best[4], akey, best[4], aid)
end
"""

_COUNTS_FN = """
local function count_ready(pfx, skill, min)
  local n = 0
  for _, level in ipairs(redis.call('SMEMBERS', pfx .. 'levels:' .. skill)) do
    if tonumber(level) >= min then n = n + redis.call('ZCARD', pfx .. 'ready:' .. skill .. ':' .. level) end
  end
  return n
end
-- Appends the queue's waiting calls, then its ready agents (``skill`` at ``min`` or above), to ``out``.
local function count_queue(pfx, out, queue, skill, min)
  table.insert(out, redis.call('ZCARD', pfx .. 'waiting:' .. queue))
  table.insert(out, count_ready(pfx, skill, tonumber(min)))
end
"""

PUT = (
    _INDEX_FNS
    + _PUT_FN
    + """
-- KEYS[1] object hash, KEYS[2] id set; ARGV: prefix, id, expected version, ix JSON, then
-- field/value pairs. Returns {1, new version} or {0, stored version}.
return put(ARGV[1], KEYS[1], KEYS[2], ARGV[2], ARGV[3], ARGV[4], {unpack(ARGV, 5)})
"""
)

DELETE = (
    _INDEX_FNS
    + """
-- KEYS[1] object hash, KEYS[2] id set; ARGV: prefix, id.
unindex(ARGV[1], redis.call('HGET', KEYS[1], 'ix'), false)
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
"""
)

CLAIM = (
    _INDEX_FNS
    + _CLAIM_FN
    + """
-- KEYS[1] call hash, KEYS[2] agent hash; ARGV: prefix, call id, agent id.
return claim(ARGV[1], KEYS[1], KEYS[2], ARGV[2], ARGV[3])
"""
)

CLAIM_BEST = (
    _INDEX_FNS
    + _CLAIM_FN
    + _CLAIM_BEST_FN
    + """
-- KEYS[1] agent hash, KEYS[2..] bucket sorted sets; ARGV: prefix, agent id, then each bucket's queue.
local keys, queues = {}, {}
for i = 2, #KEYS do
  table.insert(keys, KEYS[i])
  table.insert(queues, ARGV[i + 1])
end
return claim_best(ARGV[1], KEYS[1], ARGV[2], keys, queues)
"""
)

PUT_CLAIM_BEST = (
    _INDEX_FNS
    + _PUT_FN
    + _CLAIM_FN
    + _CLAIM_BEST_FN
    + _COUNTS_FN
    + """
-- put, then claim_best for the agent written, then queue counts, as one script.
-- KEYS[1] agent hash, KEYS[2] agent id set. ARGV: prefix, agent id, expected version, ix JSON,
-- ix JSON once offered, plan JSON {buckets: [[queue, tier], ...], counts: [[queue, skill, min
-- level], ...] always counted, claimed: [...] counted only for the claimed call's queue}, then the
-- hash's field/value pairs (d, status, state, offered).
-- Returns JSON (redis-py reads one string much faster than a nested reply): [0, stored version]
-- if the agent changed since it was read (nothing written), else [1, version the put gave, lost
-- ('agent' | 'none' | 'call', or '' when a call was claimed), call id, call d, call v, agent v,
-- then waiting, ready of each counts queue and then of the claimed call's queue if in claimed].
-- When a call is claimed the agent is written once, in its final OFFERED form (the index entries
-- once offered, both versions counted): the same end state as put then claim, without adding the
-- ready entries the claim would remove again.
local pfx, aid = ARGV[1], ARGV[2]
local cur = redis.call('HMGET', KEYS[1], 'v', 'ix')
local stored = tonumber(cur[1] or 0)
if stored ~= tonumber(ARGV[3]) then return cjson.encode({0, stored}) end
local plan = cjson.decode(ARGV[6])
local fields, given = {unpack(ARGV, 7)}, {}
for i = 1, #fields, 2 do given[fields[i]] = fields[i + 1] end
local out = {1, stored + 1, 'agent', '', '', 0, 0}
local call = nil
if given['status'] == 'available' and given['state'] == 'idle' then
  out[3] = 'none'
  local keys, queues = {}, {}
  for i, b in ipairs(plan['buckets']) do
    keys[i] = pfx .. 'bucket:' .. b[1] .. ':' .. b[2]
    queues[i] = b[1]
  end
  local best = best_head(keys, queues)
  if best then
    local ckey = pfx .. 'c:' .. best[4]
    local c = read_call(ckey)
    if c[1] == 'waiting' then
      call = best
      out[3], out[4], out[5], out[6], out[7] = '', best[4], c[4], offer_call(pfx, ckey, c, aid), stored + 2
    else
      out[3] = 'call'
    end
  end
end
if call then
  -- HSET sets pairs in order, so these win over the given state and offered call
  for _, x in ipairs({'state', 'offered', 'offered', call[4]}) do table.insert(fields, x) end
  write(pfx, KEYS[1], KEYS[2], aid, cur, stored + 2, ARGV[5], fields)
else
  write(pfx, KEYS[1], KEYS[2], aid, cur, stored + 1, ARGV[4], fields)
end
for _, item in ipairs(plan['counts']) do count_queue(pfx, out, item[1], item[2], item[3]) end
for _, item in ipairs(call and plan['claimed'] or {}) do
  if item[1] == call[5] then count_queue(pfx, out, item[1], item[2], item[3]) end
end
return cjson.encode(out)
"""
)

HEADS = """
-- KEYS: bucket sorted sets; ARGV: prefix. For each bucket: {} or {d, v, state, agent} of its first call.
local pfx = ARGV[1]
local out = {}
for i, key in ipairs(KEYS) do
  local first = redis.call('ZRANGE', key, 0, 0)
  local row = {}
  if first[1] then
    local id = string.match(first[1], '^[^|]*|[^|]*|[^|]*|(.*)$')
    row = redis.call('HMGET', pfx .. 'c:' .. id, 'd', 'v', 'state', 'agent')
    table.insert(row, 1, id)
  end
  out[i] = row
end
return out
"""

READY_FIRST = """
-- ARGV: prefix, skill, min level, page size. For each level >= min: {level, {id, score, ...}}.
local pfx, skill, min, page = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for _, level in ipairs(redis.call('SMEMBERS', pfx .. 'levels:' .. skill)) do
  if tonumber(level) >= min then
    local key = pfx .. 'ready:' .. skill .. ':' .. level
    table.insert(out, {level, redis.call('ZRANGE', key, 0, page - 1, 'WITHSCORES')})
  end
end
return out
"""

QUEUE_COUNTS = (
    _COUNTS_FN
    + """
-- ARGV: prefix, then (queue, skill, min level) triples. Returns {waiting, ready, waiting, ready, ...}.
local out = {}
for i = 2, #ARGV, 3 do count_queue(ARGV[1], out, ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
return out
"""
)

COUNT_READY = (
    _COUNTS_FN
    + """
-- ARGV: prefix, skill, min level. How many ready agents have the skill at min level or above.
return count_ready(ARGV[1], ARGV[2], tonumber(ARGV[3]))
"""
)
