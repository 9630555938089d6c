-- 80% heartbeats, 20% viewers: what a fleet of open tabs sends (one heartbeat per 30 s,
-- viewers polled every 60 s by half of them, or on change).
package.path = (os.getenv("PRESENCED_BENCH_DIR") or "bench") .. "/?.lua;" .. package.path
local common = require("common")
common.serve(5000, function(tokens, seed, i)
  if i % 5 == 0 then return common.viewers(tokens, seed) end
  return common.heartbeat(tokens, seed)
end)
