-- post-event.lua - wrk script: POST /v1/events with 1 KiB generic events
--
--   TOKEN=<write token> [DELIVERY=uuid|none] [EVENT_BYTES=1024] \
--   wrk -t2 -c32 -d20s --latency -s bench/post-event.lua http://HOST:PORT
--
-- Every request is a distinct CI build event (fresh run number, commit,
-- artifact digest and, with DELIVERY=uuid, a random Idempotency-Key, as a
-- webhook sender would use), padded with a log tail to exactly EVENT_BYTES.
-- Responses are counted by status; done() prints one "RESULT key=value ..."
-- line that bench/http-ingest.sh parses, after wrk's own report, and a
-- "FIRST_ERROR" line per thread with the first non-2xx answer it got.
-- DUMP_BODY=FILE writes one generated body to FILE (to check its shape).

local token = os.getenv("TOKEN") or error("TOKEN is not set")
local delivery = os.getenv("DELIVERY") or "uuid"
local event_bytes = tonumber(os.getenv("EVENT_BYTES") or "1024")

local threads = {}
local counter_names = { "n201", "n200", "n400", "n401", "n413", "n429",
    "n503", "nother" }

function setup(thread)
    thread:set("id", #threads + 1)
    table.insert(threads, thread)
end

local services = { "payments-api", "checkout-web", "ledger-worker",
    "search-indexer", "auth-gateway", "billing-cron" }
local envs = { "staging", "production", "dev" }

-- Numbers are drawn from ranges of fixed digit count (JSON allows no
-- leading zeros); body() pads each event to exactly event_bytes.
local template = '{"kind":"build","event":"build.finished",' ..
    '"subject":{"pipeline":"%s/ci","run":"%010d","commit":"%s",' ..
    '"environment":"%s","service":"%s","status":"success",' ..
    '"actor":"ci-bot@example.com","artifact":"sha256:%s",' ..
    '"url":"https://ci.example.com/%s/pipelines/ci/runs/%010d"},' ..
    '"payload":{"repository":"example/%s","ref":"refs/heads/main",' ..
    '"trigger":"push","runner":"runner-%02d",' ..
    '"started_at":"2026-11-22T10:%02d:%02d.%03dZ","duration_ms":%d,' ..
    '"steps":[{"name":"checkout","duration_ms":%d},' ..
    '{"name":"deps","duration_ms":%d},' ..
    '{"name":"compile","duration_ms":%d},' ..
    '{"name":"unit-tests","duration_ms":%d,"passed":%d,"failed":0}],' ..
    '"cache_hit":true,"log_tail":"'
local tail_text = "ok  \\tgithub.com/example/payments/internal/ledger" ..
    "\\t0.412s\\nok  \\tgithub.com/example/payments/internal/api\\t1.093s" ..
    "\\nPASS coverage: 81.3% of statements\\nuploading artifact " ..
    "dist/server.tar.gz (18.2 MiB) done\\nsigning provenance: done\\n" ..
    "publishing image registry.example.com/payments/server done\\n"

local function hex(n)
    local t = {}
    for i = 1, n / 4 do
        t[i] = string.format("%04x", math.random(0, 0xffff))
    end
    return table.concat(t)
end

local function uuid()
    local h = hex(32)
    return string.format("%s-%s-4%s-a%s-%s", h:sub(1, 8), h:sub(9, 12),
        h:sub(13, 15), h:sub(16, 18), h:sub(19, 30))
end

local pad, seq, tid
local path = "/v1/events"

local function body()
    seq = seq + 1
    local run = tid * 100000000 + seq
    local svc = services[math.random(#services)]
    local head = string.format(template, svc, run, hex(40),
        envs[math.random(#envs)], svc, hex(64), svc, run, svc,
        math.random(0, 63), math.random(0, 59), math.random(0, 59),
        math.random(0, 999), math.random(100000, 999999),
        math.random(10000, 99999), math.random(10000, 99999),
        math.random(100000, 999999), math.random(100000, 999999),
        math.random(1000, 4999))
    local p = pad:sub(1, event_bytes - #head - 3)
    if p:sub(-1) == "\\" then p = p:sub(1, -2) .. "." end
    return head .. p .. '"}}'
end

function init(args)
    tid = _G.id or 1    -- set by setup() through thread:set
    seq = 0
    math.randomseed(os.time() * 1000 + tid)
    for _, c in ipairs(counter_names) do _G[c] = 0 end
    first_error = ""
    -- body() pads each event to event_bytes from this text, never
    -- cutting an escape sequence in half.
    pad = ""
    while #pad < event_bytes do pad = pad .. tail_text end
    if os.getenv("DUMP_BODY") then
        local f = io.open(os.getenv("DUMP_BODY"), "w")
        f:write(body())
        f:close()
    end
end

function request()
    local headers = {
        ["Authorization"] = "Bearer " .. token,
        ["Content-Type"] = "application/json",
    }
    if delivery == "uuid" then
        headers["Idempotency-Key"] = uuid()
    end
    return wrk.format("POST", path, headers, body())
end

function response(status, headers, body)
    local c = "n" .. status
    if _G[c] ~= nil then
        _G[c] = _G[c] + 1
    else
        nother = nother + 1
    end
    if status >= 300 and first_error == "" then
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
        string.format("lat_p999_ms=%.3f", latency:percentile(99.9) / 1e3),
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
