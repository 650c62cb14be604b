#!/usr/bin/env bash
# The whole test suite: unit tests, the sqllogic matrix (parallelism 1, 2
# and 4; backends; checkpoints with failures and restores), the crash test,
# the shell through a pseudo-terminal, and the Kafka and MySQL tests, which
# run verbosely so that the log shows each of them ran (not skipped), and
# every fuzz target for a short bounded time (scripts/fuzz.sh; FUZZTIME).
set -euo pipefail
cd "$(dirname "$0")/.."
external="./tests/e2e ./tests/nexmarkoracle ./tests/faults/sinkoutage ./connectors/jdbc ./connectors/kafka"
status=0
go test -count=1 $(go list ./... | grep -v -e /tests/e2e -e /tests/nexmarkoracle -e /tests/faults/sinkoutage -e /connectors/jdbc -e /connectors/kafka) || status=$?
go test -count=1 -v $external 2>&1 | grep -E '^(=== RUN|\s*--- |ok|FAIL|panic:)|^\s+\S+_test\.go:[0-9]+: ' || status=1
bash scripts/fuzz.sh || status=1
exit $status
