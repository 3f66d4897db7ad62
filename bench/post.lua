-- wrk request script for bench/run.sh: a POST with the JSON body and headers from the
-- environment (BENCH_BODY, BENCH_AUTH), or a GET when BENCH_BODY is empty.
local body = os.getenv("BENCH_BODY") or ""
local auth = os.getenv("BENCH_AUTH") or ""
if body ~= "" then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if auth ~= "" then
  wrk.headers["Authorization"] = auth
end
