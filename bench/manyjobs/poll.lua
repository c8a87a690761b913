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
  max_age = -1
  max_overdue = -1
end

function request()
  counter = counter + 1
  return wrk.format("GET", "/job/" .. prefix .. (counter % jobs), { ["Authorization"] = auth })
end

function delay()
  return pause
end

-- How each answer was served, from Cache-Status: a terminal hit, a shared running answer (ttl=), a stale one served
-- while a refresh runs behind it (fwd=stale), one that waited for the read refreshing the window (collapsed), or a miss.
-- nginx says how in X-Cache-Status (HIT, STALE, UPDATING, EXPIRED, MISS).
local function served(cache_status, nginx_status)
  if nginx_status ~= nil then return "nginx-" .. nginx_status end
  if cache_status == nil then return "none" end
  local kind = cache_status:match("^Gateway; ([%w=-]+)") or "other"
  if cache_status:find("fwd=stale", 1, true) then return "stale" end
  if cache_status:find("ttl=", 1, true) then kind = kind .. "-shared" end
  if cache_status:find("collapsed", 1, true) then kind = kind .. "-collapsed" end
  return kind
end

local months = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12 }

-- Whole seconds since the upstream gave this answer: the gateway's Age, or (nginx passing the stand-in's Date) now
-- minus Date. Both clocks are read as UTC, so the difference holds whatever the local zone.
local function age(headers)
  if headers["Age"] then return tonumber(headers["Age"]) end
  local date = headers["Date"]
  if date == nil or headers["X-Cache-Status"] == nil then return nil end
  local d, mon, y, h, mi, sec = date:match("(%d+) (%a+) (%d+) (%d+):(%d+):(%d+)")
  if d == nil then return nil end
  local given = os.time({ year = tonumber(y), month = months[mon], day = tonumber(d), hour = tonumber(h), min = tonumber(mi), sec = tonumber(sec) })
  return os.time(os.date("!*t")) - given
end

function response(status, headers, body)
  local cache_status = headers["Cache-Status"]
  local key = status .. ":" .. served(cache_status, headers["X-Cache-Status"])
  statuses[key] = (statuses[key] or 0) + 1
  local a = age(headers)
  if a ~= nil and a > max_age then max_age = a end
  local overdue = cache_status and cache_status:match("ttl=%-(%d+)")
  if overdue ~= nil and tonumber(overdue) > max_overdue then max_overdue = tonumber(overdue) end
end

function done(summary, latency, requests)
  local counts = {}
  local oldest, overdue = -1, -1
  for _, thread in ipairs(threads) do
    oldest = math.max(oldest, thread:get("max_age"))
    overdue = math.max(overdue, thread:get("max_overdue"))
    local s = thread:get("statuses")
    for status, n in pairs(s) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, status .. "=" .. n) end
  io.write(string.format("RESULT requests=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d max_age_s=%d max_overdue_ms=%d statuses=%s\n",
    summary.requests, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, oldest, overdue,
    table.concat(parts, ",")))
end
