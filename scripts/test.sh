#!/usr/bin/env bash
# Runs every test: unit tests, policy cases, and integration/HTTP tests on a real PostgreSQL that the
# test fixture creates and starts itself (or the server in COMPLIANCE_TEST_PG). Ends with the line
# "N passed, N failed" counted from the TRX results.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
scripts/test-images.sh || exit 1   # public-domain photos from Debian's python3-skimage, for image-matching tests
# The face tests run the real models on real photos; both are fetched (and checksum-verified) into .data/.
scripts/face-models.sh || exit 1
scripts/face-test-images.sh || exit 1

results="TestResults"
rm -rf "$results"
dotnet build Compliance.sln -c Release -nologo || { echo "0 passed, 0 failed"; echo "The build failed." >&2; exit 1; }

# One run per test project, each writing its own named TRX file, so no result file can overwrite another.
status=0
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" || status=1
done

passed=0; failed=0; total=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); total=$((total + ${t:-0}))
done

if [ "$total" -eq 0 ]; then
  echo "No test results were found: that is a failure, not a pass." >&2
  status=1
fi
echo "$passed passed, $failed failed"
exit "$status"
