-- pipeline.lua: HTTP/1.1 pipelining for wrk.
--
-- Every write carries DEPTH concatenated "GET /" requests (default 16), the
-- pipelined scenario of the ringlane wrk suite:
--
--   wrk -t1 -c360 -d10s --latency -s bench/wrk/pipeline.lua http://127.0.0.1:PORT/ -- 16
--
-- wrk parses the string returned by request() once at start-up to learn how
-- many requests it holds, then counts every response separately, so
-- "Requests/sec" is responses per second, not writes per second.

local depth = 16
local req

init = function(args)
   if args[1] ~= nil then
      depth = tonumber(args[1]) or depth
   end
   if depth < 1 then
      depth = 1
   end
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format("GET", "/")
   end
   req = table.concat(r)
end

request = function()
   return req
end
