-- post-hook.lua - wrk script: POST /v1/hooks/{source} with signed GitHub
-- deliveries of real size
--
--   HOOKS=INDEX [SOURCE=gh] [EVENT=workflow_run] \
--   wrk -t2 -c32 -d20s --latency -s bench/post-hook.lua http://HOST:PORT
--
-- INDEX lists the prepared deliveries, one a line: "sha256=<hex> FILE",
-- the X-Hub-Signature-256 of FILE's exact bytes (computed by
-- bench/http-hooks.sh with openssl; Lua has no HMAC).  Each request sends
-- one of them at random, with X-GitHub-Event: EVENT and a fresh random
-- X-GitHub-Delivery GUID (the signature covers only the body, so the
-- delivery id may vary), as GitHub does.  Responses are counted by status;
-- done() prints the "RESULT key=value ..." line of post-event.lua and a
-- FIRST_ERROR line per thread with the first non-2xx answer.

local index = os.getenv("HOOKS") or error("HOOKS is not set")
local source = os.getenv("SOURCE") or "gh"
local event = os.getenv("EVENT") or "workflow_run"

local threads = {}
local counter_names = { "n201", "n200", "n202", "n400", "n401", "n413",
    "n415", "n429", "n503", "nother" }

function setup(thread)
    thread:set("id", #threads + 1)
    table.insert(threads, thread)
end

local bodies, sigs = {}, {}
local path = "/v1/hooks/" .. source

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

function init(args)
    local tid = _G.id or 1
    math.randomseed(os.time() * 1000 + tid)
    for _, c in ipairs(counter_names) do _G[c] = 0 end
    first_error = ""
    for line in io.lines(index) do
        local sig, file = line:match("^(sha256=%x+) (.+)$")
        if sig then
            local f = assert(io.open(file, "rb"))
            bodies[#bodies + 1] = f:read("*a")
            sigs[#sigs + 1] = sig
            f:close()
        end
    end
    if #bodies == 0 then error("no deliveries in " .. index) end
end

function request()
    local i = math.random(#bodies)
    local headers = {
        ["Content-Type"] = "application/json",
        ["User-Agent"] = "GitHub-Hookshot/bench",
        ["X-GitHub-Event"] = event,
        ["X-GitHub-Delivery"] = uuid(),
        ["X-GitHub-Hook-ID"] = "123456789",
        ["X-Hub-Signature-256"] = sigs[i],
    }
    return wrk.format("POST", path, headers, bodies[i])
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
