-- wrk script: PUT a pool of pre-made certificate requests to the URL's path, one after the
-- other, round and round.
--
--   wrk -t1 -c16 -d5s -s bench/put-pool.lua http://127.0.0.1:PORT/api/csr/bench -- POOL.pem
--
-- POOL.pem holds PEM requests back to back. Each request is formatted once, in init, so that
-- request() only hands out a prepared string: building requests per call would make wrk (in
-- Lua) part of what is measured. Distinct requests, because a CA signing the same request
-- again and again could be flattered by caches that real traffic never hits.

local requests = {}
local count = 0
local nextIndex = 0

local BEGIN = "%-%-%-%-%-BEGIN CERTIFICATE REQUEST%-%-%-%-%-"
local END = "%-%-%-%-%-END CERTIFICATE REQUEST%-%-%-%-%-\n?"

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
    -- A fresh headers table each time: wrk.format writes Host and Content-Length into it.
    requests[count] = wrk.format("PUT", wrk.path, { ["Content-Type"] = "application/x-pem-file" }, pem)
  end
  if count == 0 then
    error("put-pool.lua: no CERTIFICATE REQUEST in " .. path)
  end
end

function request()
  nextIndex = nextIndex % count + 1
  return requests[nextIndex]
end
