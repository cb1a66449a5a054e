#!/usr/bin/env bash
# The project's test command (README, .ci/run): builds and runs every test project, then prints one line
# "N passed, N failed" counted from the test results. Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL server binaries for tests/SynergAI.Persistence.Tests (each test run starts its own throwaway server).
bash tests/install-postgres.sh || exit 1
# Debian's chromium for the browser tests of tests/SynergAI.Silo.Tests.
bash tests/install-chromium.sh || exit 1

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# One test project at a time: the live-trace and multi-process tests measure timing, which a neighbour on
# the same two cores would disturb.
dotnet build SynergAI.Orleans.sln -c Release && \
  dotnet test SynergAI.Orleans.sln -c Release --no-build -m:1 --logger trx --results-directory "$results" "$@"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "the build or the test run failed before any test result was written" >&2; fi
echo "$passed passed, $failed failed"
exit "$status"
