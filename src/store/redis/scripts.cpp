#include "store/redis/scripts.hpp"

#include "store/redis/script_reply.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace presenced::store::redis {
namespace {

// Shared by every script. Entries may come from the host app (PHP's json_encode, Carbon's
// toISOString) as well as from presenced, so reading is lenient: user_id a number or a
// string, dirty a boolean or 0/1, last_seen_at with or without fractional seconds and
// with "Z" or an offset. An entry that cannot be read is not presence.
constexpr std::string_view kPrelude = R"LUA(
local function decode(s)
  local ok, v = pcall(cjson.decode, s)
  if ok and type(v) == "table" then return v end
  return nil
end

-- The user id of entry `e` (decoded from text `s`) as exact text, or nil. cjson reads
-- numbers as doubles, which would make ids past 2^53 that round alike one user, so a
-- numeric id is read from the text: its one `"user_id":` member, an integer. A second
-- such member, or text that disagrees with the decoded value, makes the id unreadable
-- (entry_codec.cpp reads it by the same rule). A string id is taken as it is: "42" and 42
-- are one user, as in the host app's PHP arrays.
local function user_of(s, e)
  local v = e.user_id
  if type(v) == "string" then return v end
  if type(v) ~= "number" then return nil end
  local key = string.find(s, '"user_id"%s*:')
  if not key or string.find(s, '"user_id"%s*:', key + 1) then return nil end
  local _, _, raw = string.find(s, '^"user_id"%s*:%s*(%-?%d+)[%s,}]', key)
  if not raw or tonumber(raw) ~= v then return nil end
  return raw
end

-- last_seen_at in milliseconds since the epoch, or nil.
local function seen_ms(e)
  local s = e.last_seen_at
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, sec, rest = string.match(s, "^(%d%d%d%d)-(%d%d)-(%d%d)[T ](%d%d):(%d%d):(%d%d)(.*)$")
  if not y then return nil end
  local ms = 0
  local frac, zone = string.match(rest, "^%.(%d+)(.*)$")
  if frac then
    ms = tonumber(string.sub(frac .. "00", 1, 3))
    rest = zone
  end
  local offset = 0
  if rest ~= "Z" and rest ~= "" then
    local sign, oh, om = string.match(rest, "^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(oh) * 60 + tonumber(om)) * 60000
    if sign == "-" then offset = -offset end
  end
  -- days from the civil date (H. Hinnant's algorithm)
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((mo + 9) % 12) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  local days = era * 146097 + doe - 719468
  return ((days * 24 + tonumber(h)) * 60 + tonumber(mi)) * 60000 + tonumber(sec) * 1000 + ms - offset
end

local function live(e, now, ttl)
  local seen = e and seen_ms(e)
  return seen ~= nil and now - seen < ttl, seen
end

-- dirty as the host app may write it: true, 1 or "1".
local function truthy(v)
  return v == true or v == 1 or v == "1"
end

-- Tells every presenced node watching the record that it changed (store/redis/subscriber).
-- The channel names the key inside braces, so that on a cluster it hashes to the key's
-- slot: a script may only publish there (SPUBLISH), and only that shard carries it.
local function changed(key)
  redis.call("PUBLISH_COMMAND", "presenced:{" .. key .. "}", "changed")
end

-- Tells them what changed where the script knows it (notice.hpp): a tab's new entry, or
-- (no value) its removal. A node keeps the room from these instead of reading it again.
local function tab_changed(key, tab, value)
  local notice = value and ("s" .. #tab .. ":" .. tab .. value) or ("d" .. tab)
  redis.call("PUBLISH_COMMAND", "presenced:{" .. key .. "}", notice)
end

-- When a tab joined, in microseconds: what presenced wrote, or for an entry the host app
-- wrote, when it was last seen.
local function joined_us(e, seen)
  if type(e.joined_us) == "number" then return e.joined_us end
  return seen * 1000
end

-- Whether the record has a live entry: page by page, so that in a live room (where the
-- question is asked) the first page answers it.
local function any_live(key, now, ttl)
  local cursor = "0"
  repeat
    local page = redis.call("HSCAN", key, cursor, "COUNT", 16)
    cursor = page[1]
    local kv = page[2]
    for i = 2, #kv, 2 do
      if live(decode(kv[i]), now, ttl) then return true end
    end
  until cursor == "0"
  return false
end
)LUA";

// KEYS[1] the record, KEYS[2] its tab counts, KEYS[3] its occupancy marker (only with
// webhooks). ARGV: tab id, TTL (ms), then the new value in pieces: head (up to
// and including `"last_seen_at":"`), stamp (now, "YYYY-MM-DDTHH:MM:SS.mmmZ"), tail (the
// rest up to and including `"joined_us":`), and cutoff (now - TTL, in the stamp's format).
// The tab limits (MAX_TABS_PER_RECORD, MAX_TABS_PER_USER) are written into the text.
// Writes head .. stamp .. tail .. joined .. "}" and returns "joined", "updated",
// "renewed", or "not_owner", "record_full", "user_full" (and changes nothing). A join or
// an update is published.
//
// Most heartbeats renew or update a tab that presenced itself wrote. That case is settled
// first, with plain string searches and comparisons, before anything else is defined (Lua
// creates the prelude's functions on every run, and decoding and date parsing cost more
// than the writes): the old value starts with the same user (its text up to
// `,"user_name":`, the user id written the same way), has a stamp in the fixed format
// later than the cutoff, and ends with `"joined_us":` and digits. The tab is then renewed
// if its state (mode to the stamp, and the tail) reads the same, and updated otherwise,
// exactly as the general path would decide. Anything else (a join, an expired tab,
// another user's tab, an entry the host app wrote) takes the general path, which decodes
// the old value and the new one. A new tab's join time comes from Redis's clock in
// microseconds: scripts run one at a time, so joins on one Redis are ordered whichever
// node served them. `"` cannot appear unescaped inside a JSON string, so the searched
// markers are found only where they are members.
constexpr std::string_view kHeartbeatFastPath = R"LUA(
local key, tab, ttl = KEYS[1], ARGV[1], ARGV[2]
local head, stamp, tail, cutoff = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local old = redis.call("HGET", key, tab)
if old then
  local _, user_end = string.find(head, ',"user_name":', 1, true)
  if string.sub(old, 1, user_end) == string.sub(head, 1, user_end) then
    local _, at = string.find(old, '"last_seen_at":"', user_end, true)
    local seen = at and string.sub(old, at + 1, at + 24)
    if seen and string.byte(seen, 24) == 90 and string.byte(seen, 20) == 46 and seen > cutoff then
      local _, j = string.find(old, ',"joined_us":', at + 25, true)
      local joined = j and string.sub(old, j + 1, -2)
      if joined and string.byte(old, -1) == 125 and string.match(joined, "^%d+$") then
        local value = head .. stamp .. tail .. joined .. "}"
        redis.call("HSET", key, tab, value)
        redis.call("PEXPIRE", key, ttl)
        -- The occupancy marker (webhooks) is kept alive by a renewal once an hour: the
        -- first renewal in a new hour (stamps compare to the hour). Its TTL covers that.
        if KEYS[3] and string.sub(seen, 1, 13) ~= string.sub(stamp, 1, 13) then
          redis.call("PEXPIRE", KEYS[3], ttl + OCCUPANCY_GRACE_MS)
        end
        local state, old_state = string.find(head, ',"mode":', user_end, true), string.find(old, ',"mode":', user_end, true)
        if old_state and string.sub(old, old_state, at) == string.sub(head, state)
           and string.sub(old, at + 25, j) == tail then
          return REPLY_renewed
        end
        redis.call("PUBLISH_COMMAND", "presenced:{" .. key .. "}", "s" .. #tab .. ":" .. tab .. value)
        return REPLY_updated
      end
    end
  end
end
)LUA";

constexpr std::string_view kHeartbeat = R"LUA(
local new_text = head .. stamp .. tail .. "0}"
local new = cjson.decode(new_text)
local now = seen_ms(new)
local t = redis.call("TIME")
local joined, result = t[1] .. string.format("%06d", tonumber(t[2])), REPLY_joined
local counts, me, previous = KEYS[2], user_of(new_text, new), nil
if old then
  local e = decode(old)
  local alive, seen = live(e, now, tonumber(ttl))
  previous = e and user_of(old, e)
  if alive then
    if previous ~= me then return REPLY_not_owner end
    joined = string.format("%.0f", joined_us(e, seen))
    local same = e.mode == new.mode and truthy(e.dirty) == new.dirty
        and (type(e.active_field) == "string" and e.active_field or "") == (new.active_field or "")
        and (e.activity == "idle") == (new.activity == "idle") and e.lock_version == new.lock_version
    result = same and REPLY_renewed or REPLY_updated
  end
end
local first = false
if result == REPLY_joined then
  -- Room for one more? A join costs O(1) in the room's size: HLEN bounds the live tabs
  -- from above (it counts every entry, expired ones and the host app's too), and the
  -- counts key holds each user's tabs as joins and leaves left them (from above too: a
  -- tab that expired is still counted). Only when a bound says "full" is the hash read
  -- and the truth counted (expired entries then go, so the bound is tight again).
  local size, n = redis.call("HLEN", key), tonumber(ttl)
  if size > 0 and redis.call("EXISTS", counts) == 0 then
    -- The counts expired with a quiet spell (they live a TTL from the last join): again
    -- from the hash, every user's.
    local all, per = redis.call("HVALS", key), {}
    for i = 1, #all do
      local e = decode(all[i])
      local u = live(e, now, n) and user_of(all[i], e)
      if u then per[u] = (per[u] or 0) + 1 end
    end
    for u, c in pairs(per) do redis.call("HSET", counts, u, c) end
  end
  local mine = tonumber(redis.call("HGET", counts, me) or "0")
  if size >= MAX_TABS_PER_RECORD or mine >= MAX_TABS_PER_USER then
    local all, gone, count = redis.call("HGETALL", key), {}, 0
    mine = 0
    for i = 1, #all, 2 do
      local e = decode(all[i + 1])
      if live(e, now, n) then
        count = count + 1
        if user_of(all[i + 1], e) == me then mine = mine + 1 end
      elseif all[i] ~= tab then
        gone[#gone + 1] = all[i]
      end
    end
    for i = 1, #gone, 500 do
      redis.call("HDEL", key, unpack(gone, i, math.min(i + 499, #gone)))
    end
    redis.call("HSET", counts, me, mine)
    if count >= MAX_TABS_PER_RECORD then return REPLY_record_full end
    if mine >= MAX_TABS_PER_USER then return REPLY_user_full end
  end
  -- Occupancy (webhooks) needs to know whether this is the first live tab.
  if KEYS[3] then first = size == 0 or not any_live(key, now, n) end
  if previous and previous ~= me and tonumber(redis.call("HGET", counts, previous) or "0") > 0 then
    redis.call("HINCRBY", counts, previous, -1)  -- an expired tab of another user, taken over
  end
  if previous ~= me then redis.call("HINCRBY", counts, me, 1) end
  redis.call("PEXPIRE", counts, ttl)
end
local value = head .. stamp .. tail .. joined .. "}"
redis.call("HSET", key, tab, value)
redis.call("PEXPIRE", key, ttl)
if result ~= REPLY_renewed then tab_changed(key, tab, value) end
if KEYS[3] then
  -- Occupancy (webhooks): the first live tab sets the marker. A marker already there
  -- means the last occupancy ended unseen (its key expired just now, or its tabs did
  -- before their key): "reoccupied" tells that vacancy and this occupancy, in order.
  local marker_ttl = ttl + OCCUPANCY_GRACE_MS
  if first then
    if redis.call("SET", KEYS[3], "1", "NX", "PX", marker_ttl) then return REPLY_occupied end
    redis.call("PEXPIRE", KEYS[3], marker_ttl)
    return REPLY_reoccupied
  end
  redis.call("PEXPIRE", KEYS[3], marker_ttl)
end
return result
)LUA";

// Shared by the viewers scripts: a record's live entries as {"", ms until the first live
// tab expires or -1, then joined (us), value, joined, value, ...}, or with `ids` one
// string per entry, "<n>:<tab id><joined>:<last seen>:<value>" (n: the tab id's length;
// last seen in unix ms, or empty for presenced's own entries, whose stamp C++ reads from
// the value; one string, not four: a read of 10,000 tabs is then 10,000 reply objects
// on the node, not 40,000); removes the rest, and
// publishes that removal (an expiry other nodes may not have seen: tab by tab, as an
// unregister does, up to 64, else "changed"). With the occupancy
// marker (webhooks): when that removal leaves the record empty and the marker was there,
// the marker goes and the second element is -2: this call saw the record become vacant.
//
// `cutoff` is now - TTL as a stamp ("YYYY-MM-DDTHH:MM:SS.mmmZ"). An entry presenced wrote
// (a stamp in that format, `"joined_us":` and digits at its end) is judged by comparing
// strings, without decoding it: in a room of 10,000 tabs the decode and date arithmetic
// of every entry were most of a read, and a read follows every change on every node
// with subscribers. Anything else (the host app's entries) is decoded, as before. C++
// decodes what is returned either way (entry_codec.cpp), and skips what it cannot read.
constexpr std::string_view kLiveEntries = R"LUA(
-- Whether entry text `v` is live at `now`: its join time (us, digits) and then, for an
-- entry the host app wrote, its last seen (ms), or for presenced's own, its stamp (which
-- compares as text); nothing when it is not live (expired, or not presence).
local function judge(v, now, ttl, cutoff)
  local _, at = string.find(v, '"last_seen_at":"', 1, true)
  local stamp = at and string.sub(v, at + 1, at + 24)
  local _, j = string.find(v, ',"joined_us":', at and at + 25 or 1, true)
  local joined = j and string.byte(v, -1) == 125 and string.match(string.sub(v, j + 1, -2), "^%d+$")
  if joined and stamp and #stamp == 24 and string.byte(stamp, 24) == 90 and string.byte(stamp, 20) == 46 then
    if stamp > cutoff then return joined, nil, stamp end
    return nil
  end
  local e = decode(v)
  local alive, seen = live(e, now, ttl)
  if alive then return string.format("%.0f", joined_us(e, seen)), seen end
  return nil
end

-- A live entry as one string for C++ (RoomMirror::unpack).
local function pack(tab, joined, seen, v)
  return #tab .. ":" .. tab .. joined .. ":" .. (seen and string.format("%.0f", seen) or "") .. ":" .. v
end

local function live_entries(key, now, ttl, marker, cutoff, ids)
  local all = redis.call("HGETALL", key)
  local out, gone, first, first_stamp = {"", -1}, {}, nil, nil
  for i = 1, #all, 2 do
    local v = all[i + 1]
    local joined, seen, stamp = judge(v, now, ttl, cutoff)
    if not joined then
      gone[#gone + 1] = all[i]
    else
      if ids then
        out[#out + 1] = pack(all[i], joined, seen, v)
      else
        out[#out + 1] = joined
        out[#out + 1] = v
      end
      if stamp then
        if not first_stamp or stamp < first_stamp then first_stamp = stamp end
      elseif not first or seen < first then
        first = seen
      end
    end
  end
  if first_stamp then
    local seen = seen_ms({last_seen_at = first_stamp})
    if not first or seen < first then first = seen end
  end
  if first then out[2] = string.format("%.0f", first + ttl - now) end
  for i = 1, #gone, 500 do
    redis.call("HDEL", key, unpack(gone, i, math.min(i + 499, #gone)))
  end
  if #gone > 0 then
    -- Told tab by tab while that is short, so that the other nodes' mirrors keep the room
    -- (a bare "changed" has each read it whole, and find more expired tabs, and tell...).
    if #gone <= 64 then
      for i = 1, #gone do tab_changed(key, gone[i]) end
    else
      changed(key)
    end
    if not first and marker and redis.call("DEL", marker) == 1 then out[2] = "-2" end
  end
  return out
end
)LUA";

// KEYS[1] the record, KEYS[2] its saved version, KEYS[3] its occupancy marker (only with
// webhooks). ARGV: now (ms), TTL (ms), cutoff (now - TTL as a stamp).
// Returns the live entries with the saved version (or "") first.
constexpr std::string_view kViewers = R"LUA(
local out = live_entries(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), KEYS[3], ARGV[3])
out[1] = redis.call("GET", KEYS[2]) or ""
return out
)LUA";

// As the viewers script, with each entry's tab id and last seen (live_entries' `ids`):
// the room in full for a node that keeps it from the notices (room_mirror.hpp).
constexpr std::string_view kRoom = R"LUA(
local out = live_entries(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), KEYS[3], ARGV[3], true)
out[1] = redis.call("GET", KEYS[2]) or ""
return out
)LUA";

// KEYS[1] the record, KEYS[2] its occupancy marker (only with webhooks). ARGV: now (ms),
// TTL (ms), cutoff, then the tabs whose deadlines a node's mirror saw pass
// (room_mirror.hpp: a renewal publishes nothing). Returns, for each in order, its entry
// packed as the room script's when it is live (renewed), or "" (gone). One found expired
// is removed, and its removal published as an unregister's is, so that the other nodes
// watching the room need not ask: an expiry costs Redis its own size. The first element
// is "-2" when those removals left the record without a live tab and the marker was there
// (vacated), else "".
constexpr std::string_view kDue = R"LUA(
local key, now, ttl, cutoff = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local out, removed = {""}, false
for a = 4, #ARGV do
  local tab = ARGV[a]
  local v = redis.call("HGET", key, tab)
  local joined, seen = nil, nil
  if v then joined, seen = judge(v, now, ttl, cutoff) end
  if joined then
    out[#out + 1] = pack(tab, joined, seen, v)
  else
    if v then
      redis.call("HDEL", key, tab)
      tab_changed(key, tab)
      removed = true
    end
    out[#out + 1] = ""
  end
end
if removed and KEYS[2] and not any_live(key, now, ttl) and redis.call("DEL", KEYS[2]) == 1 then out[1] = "-2" end
return out
)LUA";

// KEYS[1] the record. Its hash's size (every entry, the host app's and expired ones too):
// a node paging from its mirror checks with it that no tab came unannounced. Put before
// the prelude (as the heartbeat's fast path), whose functions it does not need.
constexpr std::string_view kSize = R"LUA(
do return redis.call("HLEN", KEYS[1]) end
)LUA";

// KEYS: for each record, the record and its saved version, and with webhooks (ARGV[3] is
// then 3) its occupancy marker. ARGV: now (ms), TTL (ms), keys per record, cutoff. Returns one
// answer of the viewers script per record, in order: a bulk query in one round trip.
constexpr std::string_view kViewersMany = R"LUA(
local now, ttl, per, result = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), {}
for k = 1, #KEYS, per do
  local out = live_entries(KEYS[k], now, ttl, per == 3 and KEYS[k + 2] or nil, ARGV[4])
  out[1] = redis.call("GET", KEYS[k + 1]) or ""
  result[#result + 1] = out
end
return result
)LUA";

// KEYS[1] the record. ARGV: now (ms), TTL (ms). Returns the live tabs as tab id, value,
// last seen (unix ms), joined (us), ...: the record in full, for support tooling. Leaves
// stale entries to the viewers scripts.
constexpr std::string_view kTabs = R"LUA(
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local all = redis.call("HGETALL", KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local e = decode(all[i + 1])
  local alive, seen = live(e, now, ttl)
  if alive then
    out[#out + 1] = all[i]
    out[#out + 1] = all[i + 1]
    out[#out + 1] = string.format("%.0f", seen)
    out[#out + 1] = string.format("%.0f", joined_us(e, seen))
  end
end
return out
)LUA";

// KEYS: records (a page of SCAN), each followed by its occupancy marker with webhooks
// (ARGV[4] is then 2). ARGV: user id, now (ms), TTL (ms), keys per record. From each
// record where the user has a live entry, removes all of the user's entries and publishes
// it; with the marker, a record left with no live entry is deleted (what remains has
// expired) and, if the marker was there, reported vacant. Returns how many live entries
// were removed, then the keys of the records reported vacant.
constexpr std::string_view kRemoveUser = R"LUA(
local user, now, ttl, per = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local result = {0}
for k = 1, #KEYS, per do
  local all, gone, live_gone, others = redis.call("HGETALL", KEYS[k]), {}, false, false
  for i = 1, #all, 2 do
    local e = decode(all[i + 1])
    local alive = live(e, now, ttl)
    if e and user_of(all[i + 1], e) == user then
      gone[#gone + 1] = all[i]
      if alive then
        result[1] = result[1] + 1
        live_gone = true
      end
    elseif alive then
      others = true
    end
  end
  if live_gone then
    for i = 1, #gone, 500 do
      redis.call("HDEL", KEYS[k], unpack(gone, i, math.min(i + 499, #gone)))
    end
    changed(KEYS[k])
    if per == 2 and not others then
      redis.call("DEL", KEYS[k])
      if redis.call("DEL", KEYS[k + 1]) == 1 then result[#result + 1] = KEYS[k] end
    end
  end
end
return result
)LUA";

// KEYS[1] the record, KEYS[2] its tab counts, KEYS[3] its occupancy marker (only with
// webhooks). ARGV: tab id, user id, now (ms), TTL (ms), and "unless seen since" (ms; 0:
// unconditionally). O(1) in the room's size.
// Returns "removed" (and publishes it), "absent", "not_owner" or "kept" (the tab was
// heard from since; these change nothing). An expired entry is absent, and left to the
// key's expiry (which tells the vacancy). With the marker, the removal of the last live
// tab deletes the record (the rest has expired) and, if the marker was there, returns
// "vacated".
constexpr std::string_view kUnregister = R"LUA(
local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
local old = redis.call("HGET", KEYS[1], ARGV[1])
if not old then return REPLY_absent end
local e = decode(old)
local alive, seen = live(e, now, ttl)
if not alive then return REPLY_absent end
if user_of(old, e) ~= ARGV[2] then return REPLY_not_owner end
local since = tonumber(ARGV[5])
if since > 0 and seen >= since then return REPLY_kept end
redis.call("HDEL", KEYS[1], ARGV[1])
if tonumber(redis.call("HGET", KEYS[2], ARGV[2]) or "0") > 0 then redis.call("HINCRBY", KEYS[2], ARGV[2], -1) end
tab_changed(KEYS[1], ARGV[1])
if KEYS[3] then
  if any_live(KEYS[1], now, ttl) then return REPLY_removed end
  redis.call("DEL", KEYS[1], KEYS[2])
  if redis.call("DEL", KEYS[3]) == 1 then return REPLY_vacated end
end
return REPLY_removed
)LUA";

// KEYS[1] a record whose key expired, KEYS[2] its occupancy marker. Every node hears the
// expiry; the one that deletes the marker tells the vacancy. A record already occupied
// again (a tab joined since) keeps it. Returns 1 to the node that tells it, else 0.
constexpr std::string_view kExpired = R"LUA(
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
return redis.call("DEL", KEYS[2])
)LUA";

// KEYS[1] the record, KEYS[2] its saved version. ARGV: lock_version, the notice (JSON,
// published as it is), how long to keep the version (ms). The latest version is kept.
constexpr std::string_view kSaved = R"LUA(
local version = tonumber(ARGV[1])
local current = tonumber(redis.call("GET", KEYS[2]) or "")
if not current or version > current then
  redis.call("SET", KEYS[2], ARGV[1], "PX", ARGV[3])
else
  redis.call("PEXPIRE", KEYS[2], ARGV[3])
end
redis.call("PUBLISH_COMMAND", "presenced:{" .. KEYS[1] .. "}", ARGV[2])
return REPLY_ok
)LUA";

// KEYS[1] a named channel's Redis channel (layout::named_channel_of), passed as a key so
// that a cluster routes the call to the channel's slot, where SPUBLISH must run. ARGV[1]
// the payload. Reads and writes nothing; answers how many subscribers it reached (one
// connection per listening node; fanout::NamedChannels' census counts on it).
constexpr std::string_view kPublishNamed = R"LUA(
return redis.call("PUBLISH_COMMAND", KEYS[1], ARGV[1])
)LUA";

void replace_all(std::string& text, std::string_view placeholder, std::string_view with) {
  for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + with.size())) {
    text.replace(at, placeholder.size(), with);
  }
}

// `publish`: PUBLISH on one Redis, SPUBLISH on a cluster (sharded pub/sub). Each
// REPLY_<word> becomes the word as a Lua string, from the one table (script_reply.hpp).
Script make(std::string_view name, std::string_view publish, std::string_view body,
            std::string_view before_prelude = {}) {
  Script s{name, std::string(before_prelude) + std::string(kPrelude) + std::string(body), {}};
  replace_all(s.source, "PUBLISH_COMMAND", publish);
  // Longest first, so that no placeholder is taken by a shorter word that begins it.
  std::vector<std::string_view> words(kScriptReplyWords.begin() + 1, kScriptReplyWords.end());
  std::sort(words.begin(), words.end(), [](auto a, auto b) { return a.size() > b.size(); });
  for (std::string_view word : words) {
    replace_all(s.source, "REPLY_" + std::string(word), "\"" + std::string(word) + "\"");
  }
  if (s.source.find("REPLY_") != std::string::npos) {
    throw std::logic_error("script " + std::string(name) + " answers a word not in kScriptReplyWords");
  }
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.source.data()), s.source.size(), digest);
  char hex[2 * SHA_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  s.sha1 = hex;
  return s;
}

}  // namespace

Scripts make_scripts(std::size_t max_tabs_per_record, std::size_t max_tabs_per_user, bool sharded) {
  const std::string_view publish = sharded ? "SPUBLISH" : "PUBLISH";
  std::string heartbeat(kHeartbeat);
  auto put = [&](std::string_view name, std::size_t value) { replace_all(heartbeat, name, std::to_string(value)); };
  put("MAX_TABS_PER_RECORD", max_tabs_per_record);
  put("MAX_TABS_PER_USER", max_tabs_per_user);
  std::string fast_path(kHeartbeatFastPath);
  for (std::string* text : {&heartbeat, &fast_path}) {
    for (auto at = text->find("OCCUPANCY_GRACE_MS"); at != std::string::npos; at = text->find("OCCUPANCY_GRACE_MS")) {
      text->replace(at, 18, std::to_string(kOccupancyGraceMs));
    }
  }
  return Scripts{
      .heartbeat = make("heartbeat", publish, heartbeat, fast_path),
      .viewers = make("viewers", publish, std::string(kLiveEntries) + std::string(kViewers)),
      .viewers_many = make("viewers_many", publish, std::string(kLiveEntries) + std::string(kViewersMany)),
      .room = make("room", publish, std::string(kLiveEntries) + std::string(kRoom)),
      .due = make("due", publish, std::string(kLiveEntries) + std::string(kDue)),
      .size = make("size", publish, {}, kSize),
      .tabs = make("tabs", publish, kTabs),
      .remove_user = make("remove_user", publish, kRemoveUser),
      .unregister = make("unregister", publish, kUnregister),
      .saved = make("saved", publish, kSaved),
      .expired = make("expired", publish, kExpired),
      .publish_named = make("publish_named", publish, kPublishNamed),
  };
}

}  // namespace presenced::store::redis
