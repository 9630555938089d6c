-- Registers PRESENCED_BENCH_FILL distinct tabs (default 100,000), PRESENCED_BENCH_PER_RECORD
-- per record (default 1), then only asks /healthz until wrk's duration ends: for
-- measuring the store's memory per tab. Run with one wrk thread (-t1), so that one
-- counter numbers the tabs.
package.path = (os.getenv("PRESENCED_BENCH_DIR") or "bench") .. "/?.lua;" .. package.path
local common = require("common")
local total = tonumber(os.getenv("PRESENCED_BENCH_FILL") or "100000")
local per_record = tonumber(os.getenv("PRESENCED_BENCH_PER_RECORD") or "1")
local tokens, sent = nil, 0

function init(args)
  tokens = common.load_tokens()
end

function request()
  sent = sent + 1
  if sent > total then return wrk.format("GET", "/healthz") end
  local user = (sent % #tokens) + 1
  local record = math.floor((sent - 1) / per_record)
  -- the reference client's tab id shape: tab_<13-digit ms>_<9 chars>
  local tab = string.format("tab_%013d_%09d", 1732860000000 + sent, sent)
  local body = string.format('{"tab_id":"%s","mode":"view","dirty":false}', tab)
  return wrk.format("POST", "/api/v1/presence/flow/" .. record .. "/heartbeat",
    { ["Authorization"] = "Bearer " .. tokens[user], ["Content-Type"] = "application/json" }, body)
end

response = common.check_status()
