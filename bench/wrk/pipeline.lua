-- HTTP pipelining for wrk, as TechEmpower's toolset/wrk/pipeline.lua: `wrk ... -s pipeline.lua <url> -- 16` sends
-- `depth` copies of the request in one write and waits for all `depth` responses before the next batch.
-- wrk counts every response, so "requests" and Requests/sec are single requests, not batches.

init = function(args)
  local r = {}
  local depth = tonumber(args[1]) or 1
  for i = 1, depth do
    r[i] = wrk.format()
  end
  req = table.concat(r)
end

request = function()
  return req
end
