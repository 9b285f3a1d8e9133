#!/usr/bin/env bash
# The project's test command (README "Test"): builds the solution, runs every test project,
# and ends with the plain total over all of them: "N passed, N failed, N skipped".
# Installs what the tests need when it is missing (Azurite, from npm), starts it on loopback for
# the whole run, and stops it at the end.
set -uo pipefail
cd "$(dirname "$0")/.."

results="$(mktemp -d "${TMPDIR:-/tmp}/dmig-test-results.XXXXXX")"
azurite_pid=""
cleanup() {
    [ -n "$azurite_pid" ] && kill "$azurite_pid" 2>/dev/null
    rm -rf "$results"
}
trap cleanup EXIT

# Chromium for the wave monitor's browser tests (tests/DurableMigration.Monitor.Tests): Debian's package, driven by
# Playwright through its ExecutablePath (Playwright cannot download its own browser on offline machines).
if [ ! -x /usr/bin/chromium ]; then
    echo "installing Chromium (apt-get install chromium)"
    apt_get=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
    [ "$(id -u)" -ne 0 ] && apt_get=(sudo -n "${apt_get[@]}")
    if ! { "${apt_get[@]}" update -qq && "${apt_get[@]}" install -y -qq --no-install-recommends chromium; }; then
        echo "Chromium could not be installed (apt-get as root, or sudo without a password, is needed): the browser tests cannot run"
        echo "0 passed, 1 failed, 0 skipped"
        exit 1
    fi
fi

# PostgreSQL for the PostgreSQL provider's tests: Debian's server package. The tests start their own throwaway
# clusters (initdb + pg_ctl on free loopback ports, tests/Shared/PostgresCluster.cs); the package's own cluster is not used.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "installing PostgreSQL (apt-get install postgresql)"
    apt_get=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
    [ "$(id -u)" -ne 0 ] && apt_get=(sudo -n "${apt_get[@]}")
    if ! { "${apt_get[@]}" update -qq && "${apt_get[@]}" install -y -qq --no-install-recommends postgresql postgresql-client; }; then
        echo "PostgreSQL could not be installed (apt-get as root, or sudo without a password, is needed): its tests cannot run"
        echo "0 passed, 1 failed, 0 skipped"
        exit 1
    fi
fi

# Microsoft's Python client for Azure Database Migration Service (azure.mgmt.datamigration, Debian's python3-azure): the
# Providers tests drive the DMS emulator with it to prove the emulator speaks the real contract. Debian's interpreter, not pyenv's.
if ! /usr/bin/python3 -c 'import azure.mgmt.datamigration' >/dev/null 2>&1; then
    echo "installing Microsoft's Python Azure clients (apt-get install python3-azure)"
    apt_get=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
    [ "$(id -u)" -ne 0 ] && apt_get=(sudo -n "${apt_get[@]}")
    if ! { "${apt_get[@]}" update -qq && "${apt_get[@]}" install -y -qq --no-install-recommends python3-azure; }; then
        echo "python3-azure could not be installed (apt-get as root, or sudo without a password, is needed): the DMS contract test cannot run"
        echo "0 passed, 1 failed, 0 skipped"
        exit 1
    fi
fi

# Azurite (Azure Storage emulator) for the queue and table tests: installed from package-lock.json,
# in memory, on free loopback ports; the tests read its connection string from DMIG_TEST_AZURITE.
if [ ! -x tools/azurite/node_modules/.bin/azurite ]; then
    echo "installing Azurite (npm ci --prefix tools/azurite)"
    if ! npm ci --prefix tools/azurite --no-audit --no-fund --loglevel=error; then
        echo "Azurite could not be installed"
        echo "0 passed, 1 failed, 0 skipped"
        exit 1
    fi
fi
azurite_log="$results/azurite.log"
tools/azurite/node_modules/.bin/azurite --inMemoryPersistence --silent --skipApiVersionCheck --disableTelemetry \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --blobPort 0 --queuePort 0 --tablePort 0 >"$azurite_log" 2>&1 &
azurite_pid=$!
for _ in $(seq 1 120); do
    [ "$(grep -c 'successfully listening' "$azurite_log")" -ge 3 ] && break
    sleep 0.5
done
port() { grep -o "Azurite $1 service is successfully listening at http://127.0.0.1:[0-9]*" "$azurite_log" | grep -o '[0-9]*$'; }
if [ "$(grep -c 'successfully listening' "$azurite_log")" -lt 3 ]; then
    echo "Azurite did not start:"; cat "$azurite_log"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
# Azurite's well-known development account key (public; not a secret).
export DMIG_TEST_AZURITE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$(port Blob)/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$(port Queue)/devstoreaccount1;TableEndpoint=http://127.0.0.1:$(port Table)/devstoreaccount1;"

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
