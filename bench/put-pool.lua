-- wrk script: PUT a pool of pre-made certificate requests to the URL's path, one after the
-- other, round and round.
--
--   wrk -t1 -c16 -d5s -s bench/put-pool.lua http://127.0.0.1:PORT/api/csr/bench -- POOL.pem
--
-- POOL.pem holds PEM requests back to back. Each request is formatted once, in init, so that
-- request() only hands out a prepared string: building requests per call would make wrk (in
-- Lua) part of what is measured. Distinct requests, because a CA signing the same request
-- again and again could be flattered by caches that real traffic never hits. Each round over
-- the pool, in each wrk thread, uses its own client path (<URL path><thread>x<round>):
-- the CA answers a request it already signed for the same client from its database (a replay),
-- which would flatter it too. Later rounds are formatted when first used and kept.

local requests = {}
local pems = {}
local count = 0
local nextIndex = 0
local round = 1
local started = false

-- Numbers the threads: setup runs in wrk's main Lua state and sets `id` in each thread's own.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local BEGIN = "%-%-%-%-%-BEGIN CERTIFICATE REQUEST%-%-%-%-%-"
local END = "%-%-%-%-%-END CERTIFICATE REQUEST%-%-%-%-%-\n?"

-- A fresh headers table each time: wrk.format writes Host and Content-Length into it.
function format(path, pem)
  return wrk.format("PUT", path, { ["Content-Type"] = "application/x-pem-file" }, pem)
end

function init(args)
  local path = args[1]
  if not path then
    error("put-pool.lua: give the pool file after --")
  end
  local file = assert(io.open(path, "rb"))
  local text = file:read("*a")
  file:close()
  for pem in text:gmatch(BEGIN .. ".-" .. END) do
    count = count + 1
    pems[count] = pem
    requests[count] = format(wrk.path .. id .. "x1", pem)
  end
  if count == 0 then
    error("put-pool.lua: no CERTIFICATE REQUEST in " .. path)
  end
end

function request()
  nextIndex = nextIndex % count + 1
  if nextIndex == 1 and started then
    round = round + 1
  end
  started = true
  local key = (round - 1) * count + nextIndex
  local prepared = requests[key]
  if prepared == nil then
    prepared = format(wrk.path .. id .. "x" .. round, pems[nextIndex])
    requests[key] = prepared
  end
  return prepared
end
