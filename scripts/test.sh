#!/usr/bin/env bash
# The whole test suite: unit tests, the sqllogic matrix (parallelism 1, 2
# and 4; backends; checkpoints with failures and restores), the crash test,
# the shell through a pseudo-terminal, and the tests of external services
# (Kafka, MariaDB, a headless Chromium for the dashboard), which run
# verbosely so that the log shows each of them ran, and every fuzz target for a short bounded time (scripts/fuzz.sh;
# FUZZTIME).
#
# The tests that need MariaDB (Chromium) fail when the environment variable
# CI is set and it is not there; elsewhere they skip, saying to run
# `bash scripts/ensure-mariadb.sh` (`bash scripts/ensure-chromium.sh`). The last line of the output counts the
# tests of external services that skipped and names them.
set -euo pipefail
cd "$(dirname "$0")/.."
external="./tests/e2e ./tests/nexmarkoracle ./tests/faults/sinkoutage ./tests/faults/secrets ./connectors/jdbc ./connectors/kafka ./dashboard"
status=0
go test -count=1 -timeout 50m $(go list ./... | grep -v -e /tests/e2e -e /tests/nexmarkoracle -e /tests/faults/sinkoutage -e /tests/faults/secrets -e /connectors/jdbc -e /connectors/kafka -e /dashboard) || status=$?
externalLog=$(mktemp)
# Every process these tests start writes its whole output into a file of
# this directory (internal/testkit: STREAMSQL_TEST_PROCESS_LOGS), kept
# when a test fails.
processLogs="${STREAMSQL_TEST_PROCESS_LOGS:-}"
ownLogs=
if [ -z "$processLogs" ]; then
  processLogs=$(mktemp -d "${TMPDIR:-/tmp}/streamsql-process-logs.XXXXXX")
  ownLogs=1
fi
export STREAMSQL_TEST_PROCESS_LOGS="$processLogs"
trap 'rm -f "$externalLog"' EXIT
go test -count=1 -v $external 2>&1 | tee "$externalLog" | grep -E '^(=== RUN|\s*--- |ok|FAIL|panic:)|^\s+\S+\.go:[0-9]+: ' || status=1
if grep -qE '^\s*--- FAIL|^FAIL' "$externalLog"; then
  # The lines above leave out what a failing test printed of its
  # processes (server logs): keep the whole output for a look.
  keep="${STREAMSQL_TEST_LOG:-${TMPDIR:-/tmp}/streamsql-external-tests.log}"
  cp "$externalLog" "$keep" && echo "the whole output of the tests of external services: $keep"
  echo "the whole output of every process they started: $processLogs"
elif [ -n "$ownLogs" ]; then
  rm -rf "$processLogs"
fi
bash scripts/fuzz.sh || status=1
skipped=$(sed -nE 's/^\s*--- SKIP: (\S+).*/\1/p' "$externalLog")
if [ -z "$skipped" ]; then
  echo "0 tests skipped"
else
  n=$(wc -l <<<"$skipped")
  tests=tests; [ "$n" -eq 1 ] && tests=test
  echo "$n $tests skipped: $(paste -sd, - <<<"$skipped" | sed 's/,/, /g') (see their skip messages above)"
fi
exit $status
