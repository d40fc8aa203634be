#!/usr/bin/env bash
# Issue 10's evaluation in one command: text screening (lexical-only, semantic-only and fused: precision, recall,
# false blocks on the held-out split, plus latency) and image matching (recall per transform on held-out references,
# false matches on unrelated pairs, the similarity margins). Prints both reports; docs/evaluation.md explains them.
#   scripts/evaluate.sh            # both (~10 min on the shared 2-core machine)
#   scripts/evaluate.sh text       # the text half only
#   scripts/evaluate.sh images     # the image half only
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
case "$what" in
  all|text|images) ;;
  *) echo "usage: scripts/evaluate.sh [all|text|images]" >&2; exit 2 ;;
esac
scripts/setup.sh >/dev/null
if [[ "$what" != text ]]; then
  scripts/test-images.sh   # the skimage samples and the pinned held-out photos, checksum-verified
fi
if [[ "$what" != images ]]; then
  echo "== text screening (tools/Compliance.TextFusion evaluate)"
  dotnet run -c Release --project tools/Compliance.TextFusion -- evaluate
fi
if [[ "$what" != text ]]; then
  echo "== image matching (tools/Compliance.ImageEvaluation)"
  dotnet run -c Release --project tools/Compliance.ImageEvaluation
fi
