-- wrk script of one kind of the command centre's mixed load (bench/test_wall.py runs one wrk per kind at the
-- same time): BENCH_KIND = wall (the wall's data), list (a page of the open cases), case (one case), intake
-- (a new report). wrk counts every status other than 2xx/3xx as an error ("Non-2xx or 3xx responses").
local token = os.getenv("BENCH_TOKEN")
local kind = os.getenv("BENCH_KIND")
local ids = {}
for id in string.gmatch(os.getenv("BENCH_CASE_IDS") or "", "(%d+)") do ids[#ids + 1] = id end
local points = {}
for lon, lat in string.gmatch(os.getenv("BENCH_POINTS") or "", "([%d.]+),([%d.]+)") do
  points[#points + 1] = {lon, lat}
end
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local headers = {["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json"}
  if kind == "wall" then
    return wrk.format("GET", "/wall/data.json", headers)
  elseif kind == "list" then
    return wrk.format("GET", "/api/v1/cases?is_open=true&offset=" .. 50 * math.random(0, 19) .. "&limit=50", headers)
  elseif kind == "case" then
    return wrk.format("GET", "/api/v1/cases/" .. ids[math.random(#ids)], headers)
  end
  local p = points[math.random(#points)]
  headers["Content-Type"] = "application/json"
  local body = string.format(
    '{"category_code":"0102","description":"mixed %d-%d","lon":%s,"lat":%s,"source":"app"}', id, counter, p[1], p[2])
  return wrk.format("POST", "/api/v1/cases", headers, body)
end

statuses = {}

function response(status, headers, body)
  if status >= 300 then statuses[status] = (statuses[status] or 0) + 1 end
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do io.write(string.format("status %d %d\n", status, n)) end
  end
end
