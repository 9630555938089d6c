-- POST heartbeats across many records, users and tabs.
package.path = (os.getenv("PRESENCED_BENCH_DIR") or "bench") .. "/?.lua;" .. package.path
local common = require("common")
common.serve(4096, common.heartbeat)
