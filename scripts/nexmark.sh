#!/usr/bin/env bash
# Runs every supported Nexmark query (bench/nexmark/*.sql) into a blackhole
# sink and writes a markdown table to stdout, with the hand-written loops'
# figures for the queries that have one.
#
#   scripts/nexmark.sh                      # 10M events, GOMAXPROCS=1
#   EVENTS=2000000 GOMAXPROCS=4 PARALLELISM=4 scripts/nexmark.sh
#   EXTRA='--checkpoint-interval 1s --state-backend pebble' scripts/nexmark.sh
set -euo pipefail
cd "$(dirname "$0")/.."
events=${EVENTS:-10000000}
procs=${GOMAXPROCS:-1}
par=${PARALLELISM:-1}
bin=$(mktemp -d)/streamsql
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/streamsql
echo "Nexmark, $events events, GOMAXPROCS=$procs, parallelism $par ${EXTRA:-}, $(go version | cut -d' ' -f3), $(uname -sm)"
echo
# One process per query, so that each peak memory figure is its own.
header=1
for f in bench/nexmark/q*.sql; do
  q=$(basename "$f" .sql)
  echo "${q#q} $q"
done | sort -n | while read -r _ q; do
  # shellcheck disable=SC2086
  out=$("$bin" bench nexmark --query "$q" --events "$events" --gomaxprocs "$procs" --parallelism "$par" --baseline --table ${EXTRA:-})
  if [ "$header" = 1 ]; then echo "$out"; header=0; else echo "$out" | tail -n 1; fi
done
