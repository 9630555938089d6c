-- Shared by the wrk scripts: tokens and a pool of prebuilt requests, so that wrk spends
-- its CPU on sending rather than on building strings (it shares the cores with the server).
--
-- Environment:
--   PRESENCED_BENCH_TOKENS  file with one token per line (one user each), from run.sh
--   PRESENCED_BENCH_RECORDS records to spread over (default 1000)
--   PRESENCED_BENCH_TABS    tabs per user and record (default 2)

local M = {}

function M.load_tokens()
  local path = os.getenv("PRESENCED_BENCH_TOKENS") or error("PRESENCED_BENCH_TOKENS is not set")
  local tokens = {}
  for line in io.lines(path) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  assert(#tokens > 0, "no tokens in " .. path)
  return tokens
end

M.records = tonumber(os.getenv("PRESENCED_BENCH_RECORDS") or "1000")
M.tabs = tonumber(os.getenv("PRESENCED_BENCH_TABS") or "2")

function M.heartbeat(tokens, i)
  local user = (i % #tokens) + 1
  local record = (i * 7919) % M.records
  local tab = string.format("tab_%d_%d_%d", user, record, i % M.tabs)
  local mode = (i % 4 == 0) and "edit" or "view"
  local dirty = (i % 7 == 0) and "true" or "false"
  local body = string.format('{"tab_id":"%s","mode":"%s","dirty":%s}', tab, mode, dirty)
  return wrk.format("POST", "/api/v1/presence/flow/" .. record .. "/heartbeat",
    { ["Authorization"] = "Bearer " .. tokens[user], ["Content-Type"] = "application/json" }, body)
end

function M.viewers(tokens, i)
  local user = (i % #tokens) + 1
  local record = (i * 104729) % M.records
  return wrk.format("GET", "/api/v1/presence/flow/" .. record .. "/viewers",
    { ["Authorization"] = "Bearer " .. tokens[user] })
end

-- Fails the run loudly if the server answered anything but 200.
function M.check_status()
  local bad = 0
  return function(status)
    if status ~= 200 then
      bad = bad + 1
      if bad <= 3 then io.stderr:write("unexpected status " .. status .. "\n") end
    end
  end
end

-- Defines wrk's init/request/response for a script whose requests come from
-- `build(tokens, seed, i)`: a pool of `size` prebuilt requests, sent round robin.
function M.serve(size, build)
  local pool, n = {}, 0
  _G.init = function(args)
    local tokens = M.load_tokens()
    for i = 1, size do pool[i] = build(tokens, i + math.random(1, 1000000), i) end
  end
  _G.request = function()
    n = n % #pool + 1
    return pool[n]
  end
  _G.response = M.check_status()
end

return M
