#!/usr/bin/env bash
# Interleaved A/B of frames screened per CPU-second (issue 12's "Faces and frames" target).
#
#   bench/frames-ab/run.sh [rounds] [base-commit] [b-commit]   (defaults: 10 rounds, base a95ce7d, b-commit = base-commit)
#
# Builds this harness twice: from this tree, and from a temporary worktree of the base commit (the harness is copied
# in, so only the library code differs). Then runs ABC ABC ... rounds, each a fresh process pinned to one core
# (taskset -c ${FRAMES_AB_CPU:-1}) that screens the sampled frames of two 10-second 720p videos (a moving test
# pattern; a still portrait with one face) through PDQ + ResNet18 embedding + faces against banks of 1,000:
#   A = the base commit, B = b-commit (by default the base commit) with the face models as published (ADR-026's
#   subnormal weights kept: with b-commit a95ce7d, the in-run stand-in for the 2026-11-25 code), C = this tree.
# Prints every round, then per video the median of the per-round ratios C/A and C/B with their min–max.
# Needs .data/models/face (scripts/face-models.sh) and ffmpeg. Removes the base worktrees when done; with
# FRAMES_AB_BASE_TREE=<folder> (and FRAMES_AB_B_TREE=<folder> for b-commit) it uses (and keeps) existing checkouts.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rounds="${1:-10}"
base="${2:-a95ce7d}"
bcommit="${3:-$base}"
passes="${FRAMES_AB_PASSES:-2}"
cpu="${FRAMES_AB_CPU:-1}"
work="$(mktemp -d /tmp/frames-ab.XXXXXX)"
basetree="${FRAMES_AB_BASE_TREE:-$work/base}"
btree="${FRAMES_AB_B_TREE:-$work/b}"
cleanup() {
  [[ -n "${FRAMES_AB_BASE_TREE:-}" ]] || git -C "$root" worktree remove --force "$basetree" >/dev/null 2>&1 || true
  [[ -n "${FRAMES_AB_B_TREE:-}" || "$bcommit" == "$base" ]] || git -C "$root" worktree remove --force "$btree" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

build_tree() { # tree commit keep output
  local tree="$1" commit="$2" keep="$3" out="$4"
  [[ -n "$keep" ]] || git -C "$root" worktree add --detach "$tree" "$commit" >/dev/null
  mkdir -p "$tree/bench/frames-ab"
  cp "$root/bench/frames-ab/Program.cs" "$root/bench/frames-ab/Compliance.Frames.Ab.csproj" "$tree/bench/frames-ab/"
  dotnet build -c Release -v q -nologo "$tree/bench/frames-ab" -o "$out" >&2
}
echo "building A ($base), B ($bcommit) and this tree ($(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo '+changes'))..." >&2
build_tree "$basetree" "$base" "${FRAMES_AB_BASE_TREE:-}" "$work/bin-base"
if [[ "$bcommit" == "$base" ]]; then
  ln -s "$work/bin-base" "$work/bin-b"
else
  build_tree "$btree" "$bcommit" "${FRAMES_AB_B_TREE:-}" "$work/bin-b"
fi
dotnet build -c Release -v q -nologo "$root/bench/frames-ab" -o "$work/bin-new" >&2

ffmpeg -loglevel error -f lavfi -t 10 -i testsrc2=size=1280x720:rate=30 -pix_fmt yuv420p -c:v libx264 "$work/pattern.mp4"
ffmpeg -loglevel error -loop 1 -t 10 -framerate 30 -i "$root/.data/test-images/faces/astronaut.png" \
  -vf scale=1280:720,setsar=1,format=yuv420p -c:v libx264 "$work/portrait.mp4"

models="$root/.data/models/face"
run() { # label bin extra...
  local label="$1" bin="$2"; shift 2
  (cd "$bin" && taskset -c "$cpu" dotnet Compliance.Frames.Ab.dll "$models" "$passes" "$@" "$work/pattern.mp4" "$work/portrait.mp4") \
    | sed "s/^/$label\t/"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); cpu $cpu; $passes passes a round; A $base, B $bcommit (published face models), C $(git -C "$root" rev-parse --short HEAD)"
printf 'round\tbuild\tvideo\tframes\tcpu_s_per_pass\tframes_per_cpu_s\tsignals\n'
results="$work/results.tsv"
for ((r = 1; r <= rounds; r++)); do
  run A "$work/bin-base" | sed "s/^/$r\t/" | tee -a "$results"
  run B "$work/bin-b" --published-face-models | sed "s/^/$r\t/" | tee -a "$results"
  run C "$work/bin-new" | sed "s/^/$r\t/" | tee -a "$results"
done
echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    r, build, video, frames, cpu, fps, signals = line.rstrip("\n").split("\t")
    rows[(video, int(r))][build] = (float(fps), signals)
print("\n| video | base (A) frames/CPU-s, median | published face models (B) | this tree (C) | C/A median (min–max) | C/B median (min–max) | rounds |")
print("|---|---:|---:|---:|---:|---:|---:|")
for video in sorted({v for v, _ in rows}):
    rs = [rows[k] for k in sorted(rows) if k[0] == video and len(rows[k]) == 3]
    med = lambda b: statistics.median(x[b][0] for x in rs)
    ca = [x["C"][0] / x["A"][0] for x in rs]
    cb = [x["C"][0] / x["B"][0] for x in rs]
    print(f"| {video} | {med('A'):.2f} | {med('B'):.2f} | {med('C'):.2f} | {statistics.median(ca):.2f}× ({min(ca):.2f}–{max(ca):.2f}) "
          f"| {statistics.median(cb):.2f}× ({min(cb):.2f}–{max(cb):.2f}) | {len(rs)} |")
    sig = {b: {x[b][1] for x in rs} for b in "ABC"}
    if len(sig["A"] | sig["C"]) > 1:
        print(f"  note: {video}: signal counts differ between builds: {sig}")
PY
