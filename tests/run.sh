#!/usr/bin/env bash
# The project's test command (README, .ci/run): builds and runs every test project, then prints one line
# "N passed, N failed" counted from the test results. Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL server binaries for tests/SynergAI.Persistence.Tests (each test run starts its own throwaway server).
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null; then
  echo "run.sh: installing PostgreSQL (Debian package postgresql) for the persistence tests" >&2
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # postgresql-common first, so that installing the server creates (and starts) no system cluster.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-common
  $SUDO sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
fi

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
