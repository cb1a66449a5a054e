#!/usr/bin/env bash
# Soak: three silo processes on a throwaway PostgreSQL under a steady load of short jobs, a random silo killed -9 and
# restarted every 20-30 s, for SECONDS (default 300); then the load stops, the cluster drains and the test checks that
# every acknowledged job ended, Completed exactly once, nothing stuck, no worker ran two jobs at once.
#   bash tests/soak.sh [SECONDS]
# Environment: SYNERGAI_SOAK_SEED (repeat a run), SYNERGAI_SOAK_RATE (jobs/s, default 3),
# SYNERGAI_SOAK_DRAIN_SECONDS (bounded drain wait, default 120). CI runs the same test at its 75 s default (tests/run.sh).
# Prints the test's RESULT lines at the end; the exit code is the test's.
set -uo pipefail
cd "$(dirname "$0")/.."
export SYNERGAI_SOAK_SECONDS="${1:-${SYNERGAI_SOAK_SECONDS:-300}}"

bash tests/install-postgres.sh || exit 1
dotnet build SynergAI.Orleans.sln -c Release -v q -nologo || exit 1

log=$(mktemp -t synergai-soak-XXXXXX.log)
echo "soak: ${SYNERGAI_SOAK_SECONDS} s of load; full output in $log" >&2
dotnet test tests/SynergAI.Persistence.Tests -c Release --no-build --filter "FullyQualifiedName~SoakTests" \
  --logger "console;verbosity=detailed" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
echo
echo "---- RESULT lines ----"
grep -o 'RESULT soak.*' "$log" | awk '!seen[$0]++' | grep . || echo "(no RESULT lines: the test did not get that far; see $log)"
exit "$status"
