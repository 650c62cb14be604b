#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a short, bounded time
# (FUZZTIME, default 20s each), one target at a time, so that a regression
# in the SQL front end, the decoders or the checkpoint readers shows up in
# CI. `go test ./...` already runs each target's seed corpus; this adds
# coverage-guided exploration on top. A failing input is written under the
# package's testdata/fuzz/ directory, where `go test` replays it from then on.
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
	if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$dir"; then
		echo "--- FAIL: $target"
		status=1
	fi
done < <(grep -rEo --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)\(' . |
	sed -E 's#^\./([^:]+):func (Fuzz[A-Za-z0-9_]+)\($#\1 \2#' | sort -k2)
if [ "$found" -eq 0 ]; then
	echo "no fuzz targets found${only:+ named $only}" >&2
	exit 1
fi
exit $status
