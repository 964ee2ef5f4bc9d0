-- wrk script: POST a JSON report per request (unique description), remember acknowledged case numbers.
local counter = 0
local points = {}
for lon, lat in string.gmatch(os.getenv("BENCH_POINTS"), "([%d.]+),([%d.]+)") do
  points[#points + 1] = {lon, lat}
end
local threads = {}
acks = {}
errors = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local p = points[math.random(#points)]
  local body = string.format(
    '{"category_code":"%s","description":"bench %d-%d","lon":%s,"lat":%s,"source":"app"}',
    os.getenv("BENCH_CATEGORY") or "0102", id, counter, p[1], p[2])
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")}, body)
end

function response(status, headers, body)
  if status == 201 then
    local number = body:match('"number":"(BJ%d+)"')
    if number then acks[#acks + 1] = number end
  else
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_ACKS"), "w")
  local total_errors = 0
  for _, t in ipairs(threads) do
    for _, n in ipairs(t:get("acks")) do out:write(n, "\n") end
    total_errors = total_errors + t:get("errors")
  end
  out:close()
  io.write(string.format("lua_errors %d\n", total_errors))
end
