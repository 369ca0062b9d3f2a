"""The Lua scripts of acd.store_redis; each runs atomically inside Redis.

Conventions: ARGV[1] is the key prefix (with its trailing ':'); an object's hash holds ``v``
(version), ``d`` (JSON of its other fields), ``ix`` (JSON list of its index entries
``[index, score, member]``) and the fields an offer changes (``state``, ``status``, ``offered``,
``agent``). Index keys are derived from entries inside the scripts, so this layout needs one Redis
primary (not Redis Cluster).
"""

from __future__ import annotations

_UNINDEX = """
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
"""

PUT = (
    _UNINDEX
    + """
-- KEYS[1] object hash, KEYS[2] id set; ARGV: prefix, id, expected version, ix JSON, sticky JSON,
-- then field/value pairs. Returns {1, new version} or {0, stored version}.
local pfx = ARGV[1]
local cur = redis.call('HGET', KEYS[1], 'v')
if cur and tonumber(cur) ~= tonumber(ARGV[3]) then return {0, tonumber(cur)} end
unindex(pfx, redis.call('HGET', KEYS[1], 'ix'), false)
for _, e in ipairs(cjson.decode(ARGV[4])) do redis.call('ZADD', pfx .. e[1], e[2], e[3]) end
for _, s in ipairs(cjson.decode(ARGV[5])) do redis.call('SADD', pfx .. s[1], s[2]) end
local v = tonumber(ARGV[3]) + 1
local fields = {'v', v, 'ix', ARGV[4]}
for i = 6, #ARGV do table.insert(fields, ARGV[i]) end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('SADD', KEYS[2], ARGV[2])
return {1, v}
"""
)

DELETE = (
    _UNINDEX
    + """
-- KEYS[1] object hash, KEYS[2] id set; ARGV: prefix, id.
unindex(ARGV[1], redis.call('HGET', KEYS[1], 'ix'), false)
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
"""
)

_CLAIM_FN = """
local function claim(pfx, ckey, akey, cid, aid)
  local c = redis.call('HMGET', ckey, 'state', 'v', 'ix', 'd')
  if c[1] ~= 'waiting' then return {0, 'call'} end
  local a = redis.call('HMGET', akey, 'status', 'state', 'v', 'ix', 'd')
  if a[1] ~= 'available' or a[2] ~= 'idle' then return {0, 'agent'} end
  local cv = tonumber(c[2]) + 1
  local av = tonumber(a[3]) + 1
  local cix, aix = encode(unindex(pfx, c[3], true)), encode(unindex(pfx, a[4], true))
  redis.call('HSET', ckey, 'state', 'offered', 'agent', aid, 'v', cv, 'ix', cix)
  redis.call('HSET', akey, 'state', 'offered', 'offered', cid, 'v', av, 'ix', aix)
  return {1, c[4], cv, a[5], av, a[1], cid}
end
"""

CLAIM = (
    _UNINDEX
    + _CLAIM_FN
    + """
-- KEYS[1] call hash, KEYS[2] agent hash; ARGV: prefix, call id, agent id.
-- Offers the call to the agent only if the call is WAITING and the agent AVAILABLE + IDLE.
-- Returns {1, call d, call v, agent d, agent v, agent status, call id} or {0, 'call'|'agent'}.
return claim(ARGV[1], KEYS[1], KEYS[2], ARGV[2], ARGV[3])
"""
)

CLAIM_BEST = (
    _UNINDEX
    + _CLAIM_FN
    + """
-- KEYS[1] agent hash, KEYS[2..] bucket sorted sets; ARGV: prefix, agent id, then each bucket's queue.
-- Picks, per queue, the bucket head first in offer order (priority, entered_at, seq) and, across
-- queues, the longest waiting (entered_at, then priority, seq), comparing numbers (never
-- locale-collated strings), and claims it for the agent.
-- Returns what claim returns, or {0, 'none'} when no bucket has a call.
local pfx = ARGV[1]
local a = redis.call('HMGET', KEYS[1], 'status', 'state')
if a[1] ~= 'available' or a[2] ~= 'idle' then return {0, 'agent'} end
local function parse(m)
  local p, e, s, id = string.match(m, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
  return {tonumber(p), tonumber(e), tonumber(s), id}
end
local function before(x, y, order)
  for _, i in ipairs(order) do
    if x[i] ~= y[i] then return x[i] < y[i] end
  end
  return false
end
local in_queue, across = {1, 2, 3}, {2, 1, 3}
local per_queue = {}
for i = 2, #KEYS do
  local first = redis.call('ZRANGE', KEYS[i], 0, 0)[1]
  local q = ARGV[i + 1]
  if first then
    local f = parse(first)
    if per_queue[q] == nil or before(f, per_queue[q], in_queue) then per_queue[q] = f end
  end
end
local best = nil
for _, f in pairs(per_queue) do
  if best == nil or before(f, best, across) then best = f end
end
if best == nil then return {0, 'none'} end
return claim(pfx, pfx .. 'c:' .. best[4], KEYS[1], best[4], ARGV[2])
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

QUEUE_COUNTS = """
-- ARGV: prefix, then (queue, skill, min level) triples. Returns {waiting, ready, waiting, ready, ...}.
local pfx = ARGV[1]
local out = {}
for i = 2, #ARGV, 3 do
  local skill, min = ARGV[i + 1], tonumber(ARGV[i + 2])
  local n = 0
  for _, level in ipairs(redis.call('SMEMBERS', pfx .. 'levels:' .. skill)) do
    if tonumber(level) >= min then n = n + redis.call('ZCARD', pfx .. 'ready:' .. skill .. ':' .. level) end
  end
  table.insert(out, redis.call('ZCARD', pfx .. 'waiting:' .. ARGV[i]))
  table.insert(out, n)
end
return out
"""

COUNT_READY = """
-- ARGV: prefix, skill, min level. How many ready agents have the skill at min level or above.
local pfx, skill, min = ARGV[1], ARGV[2], tonumber(ARGV[3])
local n = 0
for _, level in ipairs(redis.call('SMEMBERS', pfx .. 'levels:' .. skill)) do
  if tonumber(level) >= min then n = n + redis.call('ZCARD', pfx .. 'ready:' .. skill .. ':' .. level) end
end
return n
"""
