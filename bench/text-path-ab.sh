#!/usr/bin/env bash
# Interleaved A/B of the full text path (ADR-041): builds bench/Compliance.TextPathAb against a base commit's classifiers
# (a temporary git worktree) and against this tree's, then alternates short rounds of calls between the two builds on
# one core. Usage: bench/text-path-ab.sh [base commit, default a95ce7d] [rounds, default 30] [calls per round, default 100] [core, default 1]
# TEXTPATH_AB_NEW_ENV=NAME=value sets one environment variable for the new build's worker only (with the base commit = HEAD:
# an A/B of a runtime setting on the same code).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
base_commit="${1:-a95ce7d}"
rounds="${2:-30}"
calls="${3:-100}"
core="${4:-1}"
base_tree="${TMPDIR:-/tmp}/base-textpath-$(git -C "$root" rev-parse --short "$base_commit")"
out="${TMPDIR:-/tmp}/textpath-ab-out"

if [ ! -d "$base_tree" ]; then
  git -C "$root" worktree add --detach "$base_tree" "$base_commit" >/dev/null
fi
# The harness is this tree's; only the classifiers under it are the base's.
rm -rf "$base_tree/bench/Compliance.TextPathAb"
cp -r "$root/bench/Compliance.TextPathAb" "$base_tree/bench/"
cp "$root/bench/Compliance.Bench/ThreadCpu.cs" "$base_tree/bench/Compliance.Bench/" # linked by the harness
rm -rf "$base_tree/bench/Compliance.TextPathAb/bin" "$base_tree/bench/Compliance.TextPathAb/obj"

dotnet build -c Release -v q -nologo "$base_tree/bench/Compliance.TextPathAb" -o "$out/base" >/dev/null
dotnet build -c Release -v q -nologo "$root/bench/Compliance.TextPathAb" -o "$out/new" >/dev/null
echo "base $(git -C "$base_tree" rev-parse --short HEAD), new $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src || echo ' + uncommitted changes'); both pinned to core $core"
taskset -c "$core" dotnet "$out/new/Compliance.TextPathAb.dll" --coordinate "$out/base/Compliance.TextPathAb.dll" "$out/new/Compliance.TextPathAb.dll" "$rounds" "$calls"
echo "remove the base tree when done: git -C $root worktree remove --force $base_tree; rm -rf $out"
