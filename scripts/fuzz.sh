#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a short, bounded time
# (FUZZTIME, default 20s each), one target at a time, so that a regression
# in the SQL front end, the decoders or the checkpoint readers shows up in
# CI. `go test ./...` already runs each target's seed corpus; this adds
# coverage-guided exploration on top. A failing input is written under the
# package's testdata/fuzz/ directory, where `go test` replays it from then on.
# A run that fails with only Go's own end-of-fuzztime deadline race (see
# below) is reported as FLAKE, not FAIL.
#   bash scripts/fuzz.sh              # every target, 20 s each
#   FUZZTIME=5m bash scripts/fuzz.sh FuzzCompile   # one target, longer
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-20s}"
only="${1:-}"
status=0
found=0
# Each line: <package dir> <target>.
while read -r file target; do
	[ -n "$only" ] && [ "$target" != "$only" ] && continue
	found=$((found + 1))
	dir="./$(dirname "$file")"
	echo "=== FUZZ $target ($dir, $fuzztime)"
	corpus="$dir/testdata/fuzz/$target"
	before=$( (ls "$corpus" 2>/dev/null || true) | wc -l)
	out=$(mktemp)
	# The output is printed once the run is classified, so that a tolerated
	# flake (below) does not leave go test's own FAIL lines in the log.
	if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$dir" >"$out" 2>&1; then
		cat "$out"
		rm -f "$out"
		continue
	fi
	after=$( (ls "$corpus" 2>/dev/null || true) | wc -l)
	# Go 1.26's fuzz coordinator can report its own -fuzztime deadline as
	# a failure ("context deadline exceeded", no failing input written:
	# go.dev/issue/75804, fixed in Go 1.27). Only that exact case is
	# tolerated, and only when replaying the corpus passes; anything else,
	# or a written input, fails.
	if [ "$after" -eq "$before" ] && grep -q '^    context deadline exceeded$' "$out" &&
		! grep -qE 'panic|Failing input written|--- FAIL: .*\(|unexpected' <(grep -v '^--- FAIL: '"$target"' ' "$out") &&
		go test -run "^${target}\$" -count=1 "$dir" >/dev/null; then
		sed -E 's/^--- FAIL: /--- FLAKE (go.dev\/issue\/75804): /; s/^FAIL(\s)/FLAKE\1/' "$out"
		echo "--- FLAKE: $target: the fuzz coordinator's own deadline race (go.dev/issue/75804), no failing input; the corpus replays cleanly"
	else
		cat "$out"
		echo "--- FAIL: $target"
		status=1
	fi
	rm -f "$out"
done < <(grep -rEo --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)\(' . |
	sed -E 's#^\./([^:]+):func (Fuzz[A-Za-z0-9_]+)\($#\1 \2#' | sort -k2)
if [ "$found" -eq 0 ]; then
	echo "no fuzz targets found${only:+ named $only}" >&2
	exit 1
fi
exit $status
