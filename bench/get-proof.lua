-- get-proof.lua - wrk script: GET /v1/proof/inclusion or /consistency
--
--   MODE=inclusion|consistency SIZE=10000000 [SEQS=FILE] \
--   wrk -t2 -c32 -d20s --latency -s bench/get-proof.lua http://HOST:PORT
--
-- inclusion: GET /v1/proof/inclusion?seq=S&size=SIZE, S drawn at random
--   from the seqs listed in SEQS (one a line; bench-proofs writes
--   DIR/proof-seqs.txt: the endpoint reads the entry for its leaf hash, and
--   a synthetic log holds entries only there), or else from [0, SIZE).
-- consistency: GET /v1/proof/consistency?first=M&second=SIZE, M random in
--   [1, SIZE).
-- Proofs are public: no token.  Responses are counted by status; done()
-- prints the "RESULT key=value ..." line of post-event.lua (n200 counts
-- the proofs served) and a FIRST_ERROR line per thread with the first
-- non-200 answer.

local mode = os.getenv("MODE") or "inclusion"
local size = tonumber(os.getenv("SIZE") or error("SIZE is not set"))
local seqs_file = os.getenv("SEQS")

local threads = {}
local counter_names = { "n200", "n400", "n404", "n429", "n503", "nother" }

function setup(thread)
    thread:set("id", #threads + 1)
    table.insert(threads, thread)
end

local seqs = {}

function init(args)
    local tid = _G.id or 1
    math.randomseed(os.time() * 1000 + tid)
    for _, c in ipairs(counter_names) do _G[c] = 0 end
    first_error = ""
    if seqs_file and seqs_file ~= "" then
        for line in io.lines(seqs_file) do
            local n = tonumber(line)
            if n and n < size then seqs[#seqs + 1] = n end
        end
        if #seqs == 0 then error("no seqs below SIZE in " .. seqs_file) end
    end
end

-- math.random(m, n) is limited to 32-bit ranges on some Lua builds; two
-- draws cover sizes up to 2^52.
local function rand_below(n)
    if n <= 2147483647 then return math.random(0, n - 1) end
    return (math.random(0, 2097151) * 2147483648 +
        math.random(0, 2147483647)) % n
end

function request()
    local path
    if mode == "consistency" then
        path = string.format("/v1/proof/consistency?first=%d&second=%d",
            1 + rand_below(size - 1), size)
    else
        local s = #seqs > 0 and seqs[math.random(#seqs)] or rand_below(size)
        path = string.format("/v1/proof/inclusion?seq=%d&size=%d", s, size)
    end
    return wrk.format("GET", path)
end

function response(status, headers, body)
    local c = "n" .. status
    if _G[c] ~= nil then
        _G[c] = _G[c] + 1
    else
        nother = nother + 1
    end
    if status ~= 200 and first_error == "" then
        first_error = string.format("%d %s", status, body:sub(1, 200))
    end
end

function done(summary, latency, requests)
    local total = {}
    for _, c in ipairs(counter_names) do total[c] = 0 end
    for _, t in ipairs(threads) do
        for _, c in ipairs(counter_names) do
            total[c] = total[c] + (t:get(c) or 0)
        end
    end
    local e = summary.errors
    local out = {
        string.format("duration_s=%.3f", summary.duration / 1e6),
        string.format("requests=%d", summary.requests),
        string.format("bytes=%d", summary.bytes),
        string.format("connect_errors=%d", e.connect),
        string.format("read_errors=%d", e.read),
        string.format("write_errors=%d", e.write),
        string.format("timeouts=%d", e.timeout),
        string.format("non2xx=%d", e.status),
        string.format("lat_mean_ms=%.3f", latency.mean / 1e3),
        string.format("lat_p50_ms=%.3f", latency:percentile(50) / 1e3),
        string.format("lat_p90_ms=%.3f", latency:percentile(90) / 1e3),
        string.format("lat_p99_ms=%.3f", latency:percentile(99) / 1e3),
        string.format("lat_max_ms=%.3f", latency.max / 1e3),
    }
    for _, c in ipairs(counter_names) do
        table.insert(out, string.format("%s=%d", c, total[c]))
    end
    io.write("RESULT " .. table.concat(out, " ") .. "\n")
    for _, t in ipairs(threads) do
        local fe = t:get("first_error")
        if fe ~= nil and fe ~= "" then
            io.write("FIRST_ERROR " .. fe:gsub("\n", " ") .. "\n")
        end
    end
end
