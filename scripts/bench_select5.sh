#!/usr/bin/env bash
# Runs the SQLite corpus's select5.test (64 tables, 732 joins of 4 to 64
# of them) through streamsql and the same records through MariaDB on
# 127.0.0.1:3306, ROUNDS times (default 3), and prints per round the wall
# and CPU seconds of each side and their ratios, by kind of record
# (statements, joins of at most 8 tables, larger joins); see
# BenchmarkSelect5VsMariaDB in bench/select5_test.go. BENCHMARKS.md holds
# the figures.
#
#   scripts/bench_select5.sh
#   ROUNDS=5 scripts/bench_select5.sh
#
# It needs the corpus (STREAMSQL_SQLITE_CORPUS or ../shared/conformance/
# sqlite beside the checkout) and MariaDB (bash scripts/ensure-mariadb.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
for i in $(seq "$rounds"); do
  echo "# round $i of $rounds"
  GOMAXPROCS=${GOMAXPROCS:-1} go test -run '^$' -bench 'Select5VsMariaDB$' -benchtime 1x -count 1 ./bench |
    grep -E '^(Benchmark|\s+select5_test)' | sed -E 's/^\s+select5_test\.go:[0-9]+: /  /'
done
