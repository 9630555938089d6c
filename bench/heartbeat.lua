-- POST heartbeats across many records, users and tabs.
package.path = (os.getenv("PRESENCED_BENCH_DIR") or "bench") .. "/?.lua;" .. package.path
local common = require("common")
local pool, n = {}, 0

function init(args)
  local tokens = common.load_tokens()
  for i = 1, 4096 do pool[i] = common.heartbeat(tokens, i + math.random(1, 1000000)) end
end

function request()
  n = n % #pool + 1
  return pool[n]
end

response = common.check_status()
