#!/usr/bin/env bash
# Runs every test: unit tests, policy cases, and integration/HTTP tests on a real PostgreSQL that the
# test fixture creates and starts itself (or the server in COMPLIANCE_TEST_PG). Ends with the line
# "N passed, N failed" counted from the TRX results; a test project whose run failed outside any test
# (a fixture's clean-up, a crash, a time-out) counts as a failure there too, so a red run never reads "0 failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# The test fixture's cluster: .data/test-postgres, or /var/tmp/compliance-<hash>/test-postgres when the postgres
# user cannot reach the checkout (see LocalPostgresLocation). Whatever happens, it is stopped and removed at exit:
# it holds nothing but throw-away test databases.
test_cluster_dirs() {
  local preferred="$root/.data/test-postgres" tag
  tag=$(printf '%s' "$preferred" | sha256sum | cut -c1-12)
  printf '%s\n' "$preferred" "/var/tmp/compliance-$tag/test-postgres"
}

stop_test_cluster() {
  local dir pg_ctl
  pg_ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1)
  [ -n "$pg_ctl" ] || pg_ctl=$(command -v pg_ctl || true)
  while read -r dir; do
    [ -d "$dir" ] || continue
    if [ -f "$dir/postmaster.pid" ] && [ -n "$pg_ctl" ]; then
      if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$pg_ctl" stop -D "$dir" -m immediate -w >/dev/null 2>&1 || true
      else
        "$pg_ctl" stop -D "$dir" -m immediate -w >/dev/null 2>&1 || true
      fi
    fi
    [ -n "${COMPLIANCE_KEEP_TEST_CLUSTER:-}" ] || rm -rf "$dir"
  done < <(test_cluster_dirs)
}

if [ -z "${COMPLIANCE_TEST_PG:-}" ]; then
  trap stop_test_cluster EXIT
  stop_test_cluster   # a cluster left by an earlier, killed run
fi

scripts/setup.sh || exit 1
scripts/test-images.sh || exit 1   # public-domain photos from Debian's python3-skimage, for image-matching tests
# The face tests run the real models on real photos; both are fetched (and checksum-verified) into .data/.
scripts/face-models.sh || exit 1
scripts/face-test-images.sh || exit 1
scripts/test-audio.sh || exit 1   # freely licensed recordings from Debian packages, for the audio evaluation

# The console's browser tests drive Debian's chromium (installed by setup.sh); Playwright must never fetch its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

results="TestResults"
rm -rf "$results"
dotnet build Compliance.sln -c Release -nologo || { echo "The build failed." >&2; echo "0 passed, 1 failed"; exit 1; }

# One run per test project, each writing its own named TRX file, so no result file can overwrite another.
status=0
declare -A project_rc=()
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@"
  rc=$?
  project_rc[$name]=$rc
  [ "$rc" -eq 0 ] || status=1
done

passed=0; failed=0; total=0; errors=0
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  trx="$results/$name.trx"
  p=0; f=0; t=0
  if [ -f "$trx" ]; then
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); p=${p:-0}
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=${f:-0}
    t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); t=${t:-0}
  fi
  passed=$((passed + p)); failed=$((failed + f)); total=$((total + t))
  # A run that exited non-zero with no failed test failed outside the tests (clean-up, crash, time-out, no TRX).
  if [ "${project_rc[$name]}" -ne 0 ] && [ "$f" -eq 0 ]; then
    errors=$((errors + 1))
    echo "error outside tests: $name exited with code ${project_rc[$name]} although none of its $t tests failed (see its output above)." >&2
  fi
done

if [ "$total" -eq 0 ]; then
  echo "No test results were found: that is a failure, not a pass." >&2
  status=1
  errors=$((errors + 1))
fi
[ "$errors" -eq 0 ] || echo "$errors test run(s) failed outside their tests; each is counted below as a failure."
echo "$passed passed, $((failed + errors)) failed"
exit "$status"
