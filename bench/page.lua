-- GET one page of one record's viewers, again and again (bench/polled_page.sh): the
-- record PRESENCED_BENCH_RECORD (default "room"), the page PRESENCED_BENCH_QUERY (default
-- "limit=20"), as the user of the token PRESENCED_BENCH_TOKEN.
package.path = (os.getenv("PRESENCED_BENCH_DIR") or "bench") .. "/?.lua;" .. package.path
local common = require("common")
local request_text

function init(args)
  local record = os.getenv("PRESENCED_BENCH_RECORD") or "room"
  local query = os.getenv("PRESENCED_BENCH_QUERY") or "limit=20"
  local token = os.getenv("PRESENCED_BENCH_TOKEN") or error("PRESENCED_BENCH_TOKEN is not set")
  request_text = wrk.format("GET", "/api/v1/presence/flow/" .. record .. "/viewers?" .. query,
    { ["Authorization"] = "Bearer " .. token })
end

function request()
  return request_text
end

response = common.check_status()
