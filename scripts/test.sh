#!/usr/bin/env bash
# The project's test command (README "Test"): builds the solution, runs every test project,
# and ends with the plain total over all of them: "N passed, N failed, N skipped".
# Installs what the tests need when it is missing (none beyond the .NET SDK yet).
set -uo pipefail
cd "$(dirname "$0")/.."

results="$(mktemp -d "${TMPDIR:-/tmp}/dmig-test-results.XXXXXX")"
trap 'rm -rf "$results"' EXIT

if ! dotnet build DurableMigration.sln -c Release --nologo -v quiet; then
    echo "build failed"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi

dotnet test DurableMigration.sln -c Release --no-build --nologo \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$results"
status=$?

passed=0; failed=0; skipped=0; found=0
for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    found=1
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    attr() { local v; v=$(echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'); echo "${v:-0}"; }
    passed=$((passed + $(attr passed)))
    failed=$((failed + $(attr failed) + $(attr error) + $(attr timeout) + $(attr aborted)))
    # xunit's skipped tests count in "total" but not in "executed" (trx leaves notExecuted at 0).
    skipped=$((skipped + $(attr total) - $(attr executed)))
done

if [ "$found" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
    # dotnet test failed without reporting a failed test (a crashed test host, for example): count it.
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
