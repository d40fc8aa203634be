#!/usr/bin/env bash
# Memory under concurrent large uploads: starts the service (Release, Production settings, fresh embedded PostgreSQL,
# demo data) on loopback, makes a 40-megapixel PNG with ffmpeg, screens it once alone and then N times at once at
# POST /v1/screen/image, and reports the service's resident memory: the baseline, and the peak (the kernel's VmHWM,
# reset before each phase) of each phase.
#   bench/upload-memory/run.sh [concurrent=32]
# FORMAT=jpg sends the same picture as a JPEG instead of a PNG.
# Extra service settings go in the environment, e.g. ImageDecoding__MaxConcurrent=32 ImageDecoding__MaxDecodedSide=32768
# to switch off the decode gate and the reduced decode. API_DLL points at another build (e.g. an older commit's) to compare.
set -euo pipefail
cd "$(dirname "$0")/../.."
concurrent=${1:-32}
port=5091
data=.data/bench-upload-data   # the service's data folder (its PostgreSQL cluster, blobs), fresh each run
work=.data/bench-upload
format=${FORMAT:-png}
image=$work/40mp.$format
api=${API_DLL:-src/Compliance.Api/bin/Release/net10.0/Compliance.Api.dll}

mkdir -p "$work"
[ -n "${API_DLL:-}" ] || dotnet build src/Compliance.Api -c Release -nologo -v q >/dev/null
if [ ! -f "$image" ]; then
  # 7744×5164 = 39.99 MP, a smooth photo (a 160×100 JPEG scaled up): 10 MB as PNG, inside the 20 MiB upload limit.
  if [ "$format" = png ]; then
    ffmpeg -v error -y -i ../shared/pdq/jpeg-shrink-a-lot.jpg -vf scale=7744:5164:flags=bicubic,format=rgb24 -frames:v 1 -pred paeth "$image"
  else
    ffmpeg -v error -y -i ../shared/pdq/jpeg-shrink-a-lot.jpg -vf scale=7744:5164:flags=bicubic -frames:v 1 -q:v 2 "$image"
  fi
fi

rm -rf "$data" "$work/keys.env"
ASPNETCORE_ENVIRONMENT=Production Demo__Seed=true Demo__KeysFile="$work/keys.env" Paths__Data="$data" Paths__Models="$PWD/.data/models" \
  Logging__LogLevel__Default=Warning \
  dotnet "$api" --urls "http://127.0.0.1:$port" >"$work/service.log" 2>&1 &
service=$!
trap 'kill $service 2>/dev/null; wait $service 2>/dev/null' EXIT
for _ in $(seq 1 180); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
  sleep 1
done
# shellcheck disable=SC1091
source "$data/demo-keys.env"   # the demo seed writes the keys beside its data

mib() { echo $(( $1 / 1024 )); }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$service/status"; }
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$service/status"; }
reset_peak() { echo 5 >"/proc/$service/clear_refs"; }  # VmHWM := current RSS
upload() {
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 300 "http://127.0.0.1:$port/v1/screen/image" \
    -H "Authorization: Bearer $PLATFORM_KEY" -F "file=@$image"
}
export -f upload
export port image PLATFORM_KEY

upload >/dev/null; upload >/dev/null   # warm-up: JIT, model sessions, pools
sleep 2
baseline=$(rss)

reset_peak
one=$(upload)
one_peak=$(hwm)
sleep 2

reset_peak
start=$(date +%s.%N)
results=$(seq 1 "$concurrent" | xargs -P "$concurrent" -I{} bash -c upload)
end=$(date +%s.%N)
peak=$(hwm)

codes=$(awk '{print $1}' <<<"$results" | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
slowest=$(awk '{print $2}' <<<"$results" | sort -n | tail -n 1)
echo "image: $(basename "$image") 7744x5164 ($(stat -c %s "$image") bytes); service: $api ${ImageDecoding__MaxConcurrent:+MaxConcurrent=$ImageDecoding__MaxConcurrent }${ImageDecoding__MaxDecodedSide:+MaxDecodedSide=$ImageDecoding__MaxDecodedSide}"
echo "baseline RSS after warm-up: $(mib "$baseline") MiB"
echo "one upload alone: peak RSS $(mib "$one_peak") MiB (+$(mib $((one_peak - baseline))) MiB), answered $(awk '{print $1 " in " $2 " s"}' <<<"$one")"
echo "$concurrent uploads at once: peak RSS $(mib "$peak") MiB (+$(mib $((peak - baseline))) MiB); answers: $codes; all done in $(awk "BEGIN { printf \"%.1f\", $end - $start }") s (slowest $slowest s)"
