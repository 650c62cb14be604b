#!/usr/bin/env bash
# The whole test suite: unit tests, the sqllogic matrix (parallelism 1, 2
# and 4) and the end-to-end CLI tests.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 ./... "$@"
