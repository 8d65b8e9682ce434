-- wrk script: times every request itself (one thread per connection, so the
-- request()/response() pair of a thread is one connection's request), counts
-- queries and cache hits from Server-Timing, and writes raw samples to
-- BENCH_OUT. wrk's own percentiles are not used (coordinated omission under gevent).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bs_timespec;
int clock_gettime(int clk_id, bs_timespec *tp);
]]
local ts = ffi.new("bs_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local function split(s, sep)
  local out = {}
  for part in string.gmatch(s or "", "[^" .. sep .. "]+") do out[#out + 1] = part end
  return out
end

local threads, made = {}, 0
function setup(thread)
  made = made + 1
  thread:set("thread_index", made)
  threads[#threads + 1] = thread
end

function init(args)
  method = os.getenv("BENCH_METHOD") or "GET"
  body = os.getenv("BENCH_BODY")
  if body == "" then body = nil end
  paths = split(os.getenv("BENCH_PATHS") or "/", ",")
  hdrs = {}
  for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
    local k, v = string.match(line, "^([^:]+):%s*(.*)$")
    if k then hdrs[k] = v end
  end
  local tokens = split(os.getenv("BENCH_TOKENS") or "", ",")
  if #tokens > 0 then hdrs["Authentication-Token"] = tokens[(thread_index - 1) % #tokens + 1] end
  delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
  -- "exponential": each pause drawn at random with delay_ms as its mean, so the connections act as
  -- independent users. With a fixed pause they stay in step (a burst of all of them, then silence).
  think = os.getenv("BENCH_THINK") or "fixed"
  math.randomseed(thread_index * 7919 + 17)  -- the same pauses in every run
  -- Off for the instrumentation-overhead pair: parsing Server-Timing is the load generator's
  -- work on the same cores, and only the variant that sends the header would pay it.
  count_timing = os.getenv("BENCH_COUNT_TIMING") ~= "0"
  -- Each thread walks the path list from its own offset (spreads ids/pages).
  pos = (thread_index - 1) * 7919
  lat, n, queries, hits, misses, bad, started = {}, 0, 0, 0, 0, 0, 0
end

function delay()
  if think == "exponential" then return math.floor(-delay_ms * math.log(1 - math.random())) end
  return delay_ms
end

function request()
  pos = pos + 1
  local path = paths[(pos % #paths) + 1]
  started = now_us()
  return wrk.format(method, path, hdrs, body)
end

function response(status, headers, body)
  local took = now_us() - started
  n = n + 1
  lat[n] = took
  if status < 200 or status >= 400 then bad = bad + 1 end
  local st = count_timing and headers["Server-Timing"]
  if st then
    queries = queries + (tonumber(string.match(st, '(%d+) queries')) or 0)
    local h, m = string.match(st, '(%d+) hit (%d+) miss')
    hits = hits + (tonumber(h) or 0)
    misses = misses + (tonumber(m) or 0)
  end
end

function done(summary, latency, requests)
  local f = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  local e = summary.errors
  f:write(string.format("summary %d %d %d %d %d %d %d\n", summary.duration, e.connect, e.read, e.write,
    e.timeout, e.status, summary.requests))
  for _, t in ipairs(threads) do
    local l = t:get("lat")
    f:write(string.format("thread %d %d %d %d %d\n", t:get("n"), t:get("queries"), t:get("hits"),
      t:get("misses"), t:get("bad")))
    local parts = {}
    for i = 1, #l do parts[i] = string.format("%.0f", l[i]) end
    f:write(table.concat(parts, " "), "\n")
  end
  f:close()
end
