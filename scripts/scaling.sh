#!/usr/bin/env bash
# Measures how a job scales from parallelism 1 to parallelism 2 at
# GOMAXPROCS=2: the tumbling COUNT per key of BENCHMARKS.md (datagen, 8
# splits, 1,000 keys) and Nexmark queries (8 splits), each configuration
# its own process, the configurations alternated round after round so that
# load on a shared machine falls on all of them alike. Prints per
# configuration the median throughput (events/s of the run) and the median
# process CPU time (user + system, /usr/bin/time), and the ratio p2 ÷ p1
# of each. With OLD set, the same runs of that binary alternate with the
# new one's.
#
#   scripts/scaling.sh                              # the tree's binary
#   OLD=/tmp/streamsql-old ROUNDS=5 scripts/scaling.sh
#
# Environment:
#   NEW      streamsql binary (default: built from this tree into a temp dir)
#   OLD      a binary to compare with (default: none)
#   ROUNDS   alternated rounds (default 5)
#   QUERIES  Nexmark queries (default "q0 q1 q2 q5 q7 q8"); "tumble" is the
#            tumbling count
#   EVENTS   events per Nexmark run (default 4000000); TUMBLE_EVENTS for the
#            tumbling count (default 20000000)
#   P1_PROCS GOMAXPROCS of the parallelism-1 runs (default 2; 1 measures
#            what a second core adds: p1 on one core against p2 on two)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
QUERIES=${QUERIES:-"tumble q0 q1 q2 q5 q7 q8"}
EVENTS=${EVENTS:-4000000}
TUMBLE_EVENTS=${TUMBLE_EVENTS:-20000000}
P1_PROCS=${P1_PROCS:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "${NEW:-}" ]; then
	NEW=$tmp/streamsql
	go build -o "$NEW" ./cmd/streamsql
fi
bins="new"
[ -n "${OLD:-}" ] && bins="old new"

tumble_sql() { # parallelism
	cat <<SQL
SET 'parallelism.default' = '$1';
CREATE TABLE ev (k BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (
  'connector' = 'datagen', 'rows-per-second' = '0', 'number-of-rows' = '$TUMBLE_EVENTS',
  'fields.k.kind' = 'random', 'fields.k.min' = '0', 'fields.k.max' = '999',
  'fields.ts.kind' = 'sequence', 'fields.ts.start' = '0', 'fields.ts.end' = '$((TUMBLE_EVENTS - 1))');
CREATE TABLE sink (k BIGINT, w TIMESTAMP(3), c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT k, TUMBLE_END(ts, INTERVAL '10' SECOND), COUNT(*) FROM ev
GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k;
SQL
}
tumble_sql 1 >"$tmp/tumble1.sql"
tumble_sql 2 >"$tmp/tumble2.sql"

# run BIN QUERY P: appends "events/s cpu-seconds" to $tmp/BIN-QUERY-P
run() {
	local bin=$1 q=$2 p=$3 exe procs=2
	[ "$bin" = old ] && exe=$OLD || exe=$NEW
	[ "$p" = 1 ] && procs=$P1_PROCS
	if [ "$q" = tumble ]; then
		/usr/bin/time -f "%e %U %S" -o "$tmp/time" env GOMAXPROCS="$procs" "$exe" -f "$tmp/tumble$p.sql" >/dev/null
		awk -v n="$TUMBLE_EVENTS" '{ printf "%.0f %.3f\n", n / $1, $2 + $3 }' "$tmp/time" >>"$tmp/$bin-$q-$p"
	else
		/usr/bin/time -f "%U %S" -o "$tmp/time" "$exe" bench nexmark --query "$q" --events "$EVENTS" \
			--parallelism "$p" --gomaxprocs "$procs" --json >"$tmp/out"
		local eps
		eps=$(sed -n 's/.*"events_per_sec":\([0-9.e+]*\).*/\1/p' "$tmp/out")
		awk -v e="$eps" '{ printf "%.0f %.3f\n", e, $1 + $2 }' "$tmp/time" >>"$tmp/$bin-$q-$p"
	fi
}

median() { # column file
	awk -v c="$1" '{ print $c }' "$2" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for r in $(seq "$ROUNDS"); do
	for q in $QUERIES; do
		for bin in $bins; do
			for p in 1 2; do
				run "$bin" "$q" "$p"
			done
		done
	done
	echo "round $r done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

printf '| query | binary | p1 events/s | p2 events/s | p2 ÷ p1 | p1 CPU s | p2 CPU s | p2 ÷ p1 CPU |\n'
printf '|---|---|---:|---:|---:|---:|---:|---:|\n'
for q in $QUERIES; do
	for bin in $bins; do
		e1=$(median 1 "$tmp/$bin-$q-1"); e2=$(median 1 "$tmp/$bin-$q-2")
		c1=$(median 2 "$tmp/$bin-$q-1"); c2=$(median 2 "$tmp/$bin-$q-2")
		awk -v q="$q" -v b="$bin" -v e1="$e1" -v e2="$e2" -v c1="$c1" -v c2="$c2" 'BEGIN {
			printf "| %s | %s | %.2f M | %.2f M | %.2f | %.2f | %.2f | %.2f |\n", q, b, e1 / 1e6, e2 / 1e6, e2 / e1, c1, c2, c2 / c1 }'
	done
done
