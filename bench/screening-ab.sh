#!/usr/bin/env bash
# Interleaved A/B of the in-process screening path (ADR-040): this tree against a base commit, both running this
# tree's harness (bench/Compliance.Bench), in alternating short rounds, thread CPU per call.
#   bench/screening-ab.sh [base commit] [rows] [rounds] [calls per round] [--pieces]
#   bench/screening-ab.sh a95ce7d 100000x2000,100000x2000v,100000x100,1000x2000 20 2000   (2000v: a different prompt each call)
# The base is checked out as a git worktree in /tmp/screening-ab-<commit> (or $BASE_DIR; kept for the next run; remove it with
# `git worktree remove --force /tmp/screening-ab-<commit>`), its bench harness replaced by this tree's, and built in
# Release. Both builds use this tree's policies/ and the same synthetic catalog. At 100,000 characters each process
# builds its catalog (several minutes on the shared VM) and holds about 1.1 GB.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
base_commit="${1:-a95ce7d}"
rows="${2:-100000x2000,100000x2000v,100000x100,1000x2000}"
rounds="${3:-20}"
calls="${4:-2000}"
base_dir="${BASE_DIR:-/tmp/screening-ab-${base_commit}}"

if [ ! -d "$base_dir" ]; then
  git -C "$root" worktree add --detach "$base_dir" "$base_commit" >/dev/null
fi
# The harness is this tree's; the code it measures is the base's.
rm -f "$base_dir"/bench/Compliance.Bench/*.cs
cp "$root"/bench/Compliance.Bench/*.cs "$root/bench/Compliance.Bench/Compliance.Bench.csproj" "$base_dir/bench/Compliance.Bench/"
cp "$root/tests/Compliance.Classifiers.Tests/Text/SyntheticCatalog.cs" "$base_dir/tests/Compliance.Classifiers.Tests/Text/SyntheticCatalog.cs"
dotnet build -c Release "$base_dir/bench/Compliance.Bench" -nologo -v q -p:AbBase=true # without the commands that need newer APIs
dotnet build -c Release "$root/bench/Compliance.Bench" -nologo -v q
base_dll="$base_dir/bench/Compliance.Bench/bin/Release/net10.0/Compliance.Bench.dll"
cd "$root"
exec dotnet bench/Compliance.Bench/bin/Release/net10.0/Compliance.Bench.dll --screening-latency-ab "$base_dll" "$root/policies" "$rows" "$rounds" "$calls" "${@:5}"
