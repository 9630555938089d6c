-- GET viewers of many records (run after heartbeat.lua has filled them).
package.path = (os.getenv("PRESENCED_BENCH_DIR") or "bench") .. "/?.lua;" .. package.path
local common = require("common")
common.serve(4096, common.viewers)
