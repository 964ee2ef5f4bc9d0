-- wrk script: POST the same kind of JSON body to the bare endpoint.
function request()
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")},
    '{"category_code":"0102","description":"bench","lon":120.2,"lat":30.2,"source":"app"}')
end
