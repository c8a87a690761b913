-- wrk script for bench/lb.sh: each request reads a hot job with probability HOT_SHARE, otherwise the next job of a
-- cold set this thread walks through in order (threads start at different places), so cold jobs come back every
-- COLD / (cold requests per second) seconds: after the first pass they are hits from Redis, not from a memory tier.
-- Environment: PREFIX, HOT (number of hot ids), HOT_SHARE (0..1), COLD (number of cold ids), KEY, THREADS (wrk -t).
local prefix = os.getenv("PREFIX")
local hot = tonumber(os.getenv("HOT"))
local hot_share = tonumber(os.getenv("HOT_SHARE"))
local cold = tonumber(os.getenv("COLD"))
local auth = "Bearer " .. os.getenv("KEY")
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(1000 + id)
  counter = math.floor(id * cold / tonumber(os.getenv("THREADS")))
  statuses = {}
end

function request()
  local path
  if hot > 0 and math.random() < hot_share then
    path = "/job/" .. prefix .. "hot-" .. math.random(0, hot - 1)
  else
    counter = (counter + 1) % cold
    path = "/job/" .. prefix .. "cold-" .. counter
  end
  return wrk.format("GET", path, { ["Authorization"] = auth, ["Accept-Encoding"] = "gzip" })
end

-- How each answer was served, from Cache-Status: hit, a miss that stored, one collapsed onto another read, or other.
local function served(cache_status)
  if cache_status == nil then return "none" end
  local kind = cache_status:match("^Gateway; ([%w=-]+)") or "other"
  if cache_status:find("collapsed", 1, true) then kind = kind .. "-collapsed" end
  return kind
end

function response(status, headers, body)
  -- HAProxy sends header names in lower case.
  local key = status .. ":" .. served(headers["Cache-Status"] or headers["cache-status"])
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, status .. "=" .. n) end
  io.write(string.format("RESULT requests=%d errors=%d p50_us=%d p99_us=%d max_us=%d statuses=%s\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, table.concat(parts, ",")))
end
