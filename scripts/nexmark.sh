#!/usr/bin/env bash
# Runs every supported Nexmark query (bench/nexmark/*.sql) and writes the
# tables of BENCHMARKS.md's Nexmark section to stdout: per query the
# throughput (per core, against ten times Flink's; also with every event
# type generated, as Flink's source does), the hand-written loop's
# ratio where one exists, peak memory, the largest checkpoint, the latency
# of window results at half the query's throughput, and then the
# throughput with checkpoints every second (hashmap and pebble) against
# none. Progress goes to stderr. bench/nexmark/README.md defines the
# figures.
#
#   scripts/nexmark.sh                      # 10M events, GOMAXPROCS=1
#   EVENTS=2000000 QUERIES="q5 q7" scripts/nexmark.sh
#   EVENTS=2000000 REPEAT=2 MIN_SECONDS=3 scripts/nexmark.sh   # noisy machine
#
# Environment:
#   EVENTS        events per run (default 10000000)
#   MIN_SECONDS   when > 0, a query that runs shorter than this without
#                 checkpoints gets as many more events as make it last that
#                 long (so that its checkpoint runs see a few checkpoints);
#                 the probe run is not reported (default 0)
#   REPEAT        runs of each configuration, interleaved; the fastest counts
#                 (default 1)
#   GOMAXPROCS    GOMAXPROCS of the runs (default 1); PARALLELISM (default 1)
#   QUERIES       the queries to run (default: every query file)
#   CHECKPOINTS   0 skips the checkpoint runs (default 1); CP_INTERVAL (default 1s)
#   ALL_EVENTS    0 skips the runs whose sources generate every event type with
#                 all its columns, filtered by the query, as Flink's Nexmark
#                 source does (--all-events; default 1)
#   PEBBLE_BASE   1 also runs each query with pebble state and no checkpoints,
#                 to tell pebble's state access from its checkpoints (default 0)
#   LATENCY       0 skips the latency runs (default 1); RATE sets their rate
#                 in events/s (default: half of each query's measured throughput)
#   RUN_TIMEOUT   seconds a run may take before it is stopped and reported
#                 as failed (default 600)
#   JSON          keep the raw results (JSON lines) in this file
#   EXTRA         more flags for every run
#
# Each run is its own process, so that each peak memory figure is its own.
# With EVENTS=2000000, GOMAXPROCS=1 and the defaults all queries take about
# a quarter of an hour (the pebble runs of q4, q7, q16 and q20 most of it).
set -euo pipefail
cd "$(dirname "$0")/.."
events=${EVENTS:-10000000}
procs=${GOMAXPROCS:-1}
par=${PARALLELISM:-1}
interval=${CP_INTERVAL:-1s}
repeat=${REPEAT:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/streamsql
json=${JSON:-$tmp/results.json}
: >"$json"
go build -o "$bin" ./cmd/streamsql

queries=${QUERIES:-$(for f in bench/nexmark/q*.sql; do q=$(basename "$f" .sql); echo "${q#q} $q"; done | sort -n | cut -d' ' -f2)}

# run EVENTS QUERY FLAGS... prints the run's JSON line (an error line when
# the process died without one or timed out).
run() {
  local n=$1 q=$2
  shift 2
  local out status=0
  # shellcheck disable=SC2086
  out=$(timeout "${RUN_TIMEOUT:-600}" "$bin" bench nexmark --query "$q" --events "$n" --gomaxprocs "$procs" \
    --parallelism "$par" --json "$@" ${EXTRA:-} 2>"$tmp/err") || status=$?
  if [ "$status" = 124 ]; then
    echo "timed out after ${RUN_TIMEOUT:-600} s" >>"$tmp/err"
    out=
  fi
  if [ -z "$out" ]; then
    local cp='' be='' ae='' msg
    case " $* " in *" --checkpoint-interval "*) cp=$interval ;; esac
    case " $* " in *" pebble "*) be=pebble ;; *" hashmap "*) be=hashmap ;; esac
    case " $* " in *" --all-events "*) ae=',"all_events":true' ;; esac
    msg=$(tail -n 1 "$tmp/err" | tr -d '"\\' | cut -c1-200)
    out="{\"query\":\"$q\",\"events\":$n,\"checkpoint_interval\":\"$cp\",\"state_backend\":\"$be\"$ae,\"error\":\"${msg:-no result}\"}"
  fi
  case "$out" in *'"error"'*) echo "  $q $*: $(tail -n 1 "$tmp/err")" >&2 ;; esac
  echo "$out"
}

for q in $queries; do
  n=$events
  if [ "${MIN_SECONDS:-0}" != 0 ]; then
    eps=$(run "$n" "$q" | sed -n 's/.*"events_per_sec":\([0-9.]*\).*/\1/p')
    n=$(awk -v e="${eps:-0}" -v s="$MIN_SECONDS" -v n="$n" 'BEGIN { m = int(e * s); print (m > n ? m : n) }')
  fi
  echo "$q: $n events" >&2
  for i in $(seq "$repeat"); do
    flags=(--baseline)
    if [ "${LATENCY:-1}" != 0 ] && [ "$i" = 1 ]; then
      flags+=(--latency ${RATE:+--rate "$RATE"})
    fi
    run "$n" "$q" "${flags[@]}" >>"$json"
    if [ "${ALL_EVENTS:-1}" != 0 ]; then
      run "$n" "$q" --all-events >>"$json"
    fi
    if [ "${CHECKPOINTS:-1}" != 0 ]; then
      run "$n" "$q" --checkpoint-interval "$interval" --state-backend hashmap >>"$json"
      run "$n" "$q" --checkpoint-interval "$interval" --state-backend pebble >>"$json"
    fi
    if [ "${PEBBLE_BASE:-0}" != 0 ]; then
      run "$n" "$q" --state-backend pebble >>"$json"
    fi
  done
done

cpu=$( (grep -m1 'model name' /proc/cpuinfo 2>/dev/null || echo ': unknown CPU') | cut -d: -f2 | sed 's/^ *//')
echo "Nexmark, $events events per run (MIN_SECONDS=${MIN_SECONDS:-0}), best of $repeat, GOMAXPROCS=$procs, parallelism $par, checkpoints every $interval ${EXTRA:-}"
echo "$(go version | cut -d' ' -f3), $(uname -sm), $cpu, $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs, $(date -u +%Y-%m-%d)"
echo
"$bin" bench nexmark-report "$json"
