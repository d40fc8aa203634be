#!/usr/bin/env bash
# Generation pipeline figures through the real service (Release, Production settings, fresh embedded PostgreSQL,
# demo data, the local storyboard generator, the real ffmpeg and models), driven over loopback with curl:
#  1. overhead per generated second: jobs run one at a time; from each job's stageSeconds, the frame stage (sampling +
#     frame gate) plus the release (provenance hash and signature, usage events, one transaction), divided by the
#     video's duration. The generator's own time is shown beside it but is not overhead.
#  2. throughput: N jobs submitted at once, wall time until the last has finished, as jobs completed per minute.
#   bench/generation/run.sh [jobs=20] [repeats=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
jobs=${1:-20}
repeats=${2:-3}
port=5091
api="http://127.0.0.1:$port"
data=.data/bench-generation-postgres
keys=.data/bench-generation-keys.env

scripts/setup.sh
scripts/face-models.sh
dotnet build src/Compliance.Api -c Release -nologo -v q >/dev/null

rm -rf "$data" "$keys"
ASPNETCORE_ENVIRONMENT=Production Demo__Seed=true Demo__KeysFile="$keys" Database__LocalDirectory="$data" \
  Logging__LogLevel__Default=Warning \
  dotnet src/Compliance.Api/bin/Release/net10.0/Compliance.Api.dll --urls "$api" >.data/bench-generation-service.log 2>&1 &
service=$!
trap 'kill $service 2>/dev/null; wait $service 2>/dev/null' EXIT
for _ in $(seq 1 120); do
  curl -sf "$api/health/ready" >/dev/null && break
  sleep 1
done
# shellcheck disable=SC1090
source "$keys"
auth=(-H "Authorization: Bearer $PLATFORM_KEY")

submit() { # prompt seconds size -> job id
  curl -sf "$api/v1/generations" "${auth[@]}" -H 'Content-Type: application/json' \
    -d "{\"prompt\":\"$1\",\"durationSeconds\":$2,\"size\":\"$3\"}" | jq -r .id
}

wait_finished() { # id -> the finished job's JSON (fails after 10 minutes)
  for _ in $(seq 1 6000); do
    job=$(curl -sf "$api/v1/generations/$1" "${auth[@]}")
    case $(jq -r .state <<<"$job") in
      released|blocked|in_review|failed|cancelled) echo "$job"; return 0 ;;
    esac
    sleep 0.1
  done
  echo "job $1 did not finish" >&2
  return 1
}

# Warm-up: JIT, model sessions, connection pools.
wait_finished "$(submit 'a warm-up shot of a quiet street' 4 640x360)" >/dev/null

echo "## Overhead per generated second (one job at a time; median of $repeats)"
echo
echo "| size | video s | generate s | frames s (sampling + frame gate) | release s | overhead ms per generated second |"
echo "|---|---:|---:|---:|---:|---:|"
for size in 640x360 1280x720; do
  for seconds in 4 12; do
    rows=()
    for r in $(seq 1 "$repeats"); do
      job=$(wait_finished "$(submit "a lighthouse on a cliff at dawn, take $r" "$seconds" "$size")")
      [ "$(jq -r .state <<<"$job")" = released ] || { echo "FAIL: job not released: $job" >&2; exit 1; }
      rows+=("$(jq -r '[.stageSeconds.generate, .stageSeconds.frames, .stageSeconds.release] | @tsv' <<<"$job")")
    done
    printf '%s\n' "${rows[@]}" | sort -t$'\t' -k2,2n | awk -F'\t' -v n="$repeats" -v size="$size" -v s="$seconds" '
      { g[NR]=$1; f[NR]=$2; r[NR]=$3 }
      END { m=int((n+1)/2); printf "| %s | %d | %.2f | %.2f | %.3f | %.0f |\n", size, s, g[m], f[m], r[m], (f[m]+r[m])*1000/s }'
  done
done

echo
echo "## Throughput: $jobs jobs of 4 s at 640x360 submitted at once"
start=$(date +%s.%N)
ids=()
for i in $(seq 1 "$jobs"); do
  ids+=("$(submit "a paper boat on a pond, take $i" 4 640x360)")
done
released=0
for id in "${ids[@]}"; do
  [ "$(wait_finished "$id" | jq -r .state)" = released ] && released=$((released + 1))
done
end=$(date +%s.%N)
awk -v n="$jobs" -v ok="$released" -v a="$start" -v b="$end" \
  'BEGIN { printf "jobs=%d released=%d wall_s=%.1f jobs_per_minute=%.1f\n", n, ok, b - a, n * 60 / (b - a) }'
