-- wrk script: every connection polls GET /job/<prefix><n> for n cycling over JOBS ids, one request per DELAY ms,
-- so C connections give about C * 1000 / DELAY requests per second spread evenly over the jobs.
-- Environment: PREFIX, JOBS, OFFSET (where this wrk process starts in the cycle), DELAY (ms), KEY.
local prefix = os.getenv("PREFIX")
local jobs = tonumber(os.getenv("JOBS"))
local offset = tonumber(os.getenv("OFFSET") or "0")
local pause = tonumber(os.getenv("DELAY"))
local auth = "Bearer " .. os.getenv("KEY")
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = offset + id * 7919
  statuses = {}
end

function request()
  counter = counter + 1
  return wrk.format("GET", "/job/" .. prefix .. (counter % jobs), { ["Authorization"] = auth })
end

function delay()
  return pause
end

-- How each answer was served, from Cache-Status: a terminal hit, a shared running answer (ttl=), one that waited for
-- the read refreshing the window (collapsed), or a miss.
local function served(cache_status)
  if cache_status == nil then return "none" end
  local kind = cache_status:match("^Gateway; ([%w=-]+)") or "other"
  if cache_status:find("ttl=", 1, true) then kind = kind .. "-shared" end
  if cache_status:find("collapsed", 1, true) then kind = kind .. "-collapsed" end
  return kind
end

function response(status, headers, body)
  local key = status .. ":" .. served(headers["Cache-Status"])
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for status, n in pairs(s) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, status .. "=" .. n) end
  io.write(string.format("RESULT requests=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d statuses=%s\n",
    summary.requests, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, table.concat(parts, ",")))
end
