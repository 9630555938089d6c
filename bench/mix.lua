-- 80% heartbeats, 20% viewers: what a fleet of open tabs sends (one heartbeat per 30 s,
-- viewers polled every 60 s by half of them, or on change).
package.path = (os.getenv("PRESENCED_BENCH_DIR") or "bench") .. "/?.lua;" .. package.path
local common = require("common")
local pool, n = {}, 0

function init(args)
  local tokens = common.load_tokens()
  for i = 1, 5000 do
    local seed = i + math.random(1, 1000000)
    pool[i] = (i % 5 == 0) and common.viewers(tokens, seed) or common.heartbeat(tokens, seed)
  end
end

function request()
  n = n % #pool + 1
  return pool[n]
end

response = common.check_status()
