-- wrk script: POST /v1/screen/prompt with a rotation of realistic prompts; about a third name a
-- demo character (some obfuscated), the rest name none. The key comes from the KEY env variable.
local prompts = {
  "A slow dolly shot through a misty pine forest at dawn, volumetric light",
  "Captain Comet flies over a neon city at night, cinematic, 35mm",
  "Close-up of hands kneading bread dough on a floured wooden table",
  "N3bula Kn1ght rides through a storm of stars",
  "Aerial view of a coastal town with white houses and blue doors, summer",
  "Luma the Fox curls up by a campfire in the snow",
  "A golden retriever chases a frisbee across a park in slow motion",
  "A timelapse of clouds rolling over mountain peaks, 4k",
  "R-o-b-o R-e-x dances in a disco full of mirror balls",
  "Street food vendor flipping noodles in a wok, steam and flames, night market",
  "A ballerina spins on a rooftop at sunset, wide shot",
  "An astronaut plants a flag on a red desert planet, dust blowing",
}
local bodies = {}
for i, p in ipairs(prompts) do
  bodies[i] = '{"prompt":"' .. p .. '","account":"bench-user"}'
end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")
request = function()
  n = n + 1
  return wrk.format(nil, "/v1/screen/prompt", nil, bodies[(n % #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("requests=%d non2xx=%d errors=%d duration_s=%.1f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
