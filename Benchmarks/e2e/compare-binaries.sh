#!/usr/bin/env bash
# A/B of two (or more) sluice binaries on the same load, alternating so both see the same machine:
# each run is a fresh sluice on a TCP source and a local-directory bucket (sluice-under-test.sh), fed
# MESSAGES numbered 130-byte lines over 4 connections by `sluice loadgen`, then stopped (flush at
# shutdown). Prints the CPU seconds per million messages of each run (sluice logs its getrusage
# figures as it stops). The first binary's `loadgen` drives every run, so the load is the same.
#
#   Benchmarks/e2e/compare-binaries.sh gzip|lz4 MESSAGES ROUNDS BINARY...
#   e.g. cp .build/release/sluice /tmp/sluice-before; (change, swift build -c release)
#        Benchmarks/e2e/compare-binaries.sh lz4 2000000 2 /tmp/sluice-before .build/release/sluice
set -euo pipefail
codec=$1 count=$2 rounds=$3
shift 3
loadgen=$1
source "$(dirname "$0")/sluice-under-test.sh"
for round in $(seq "$rounds"); do
  for binary in "$@"; do
    work=$(mktemp -d /tmp/sluice-ab-XXXXXX)
    sluice=$binary
    run_sluice "$work" "$codec"
    "$loadgen" loadgen --port "$port" --count "$count" --connections 4 --size 130 --quiet
    kill -TERM "$sluice_pid"
    wait "$sluice_pid" || true
    cpu=$(grep -o 'cpu_seconds="[0-9.]*"' "$work/sluice.log" | tail -1 | tr -dc '0-9.')
    python3 -c "print(f'round $round  $binary  $codec: {$cpu / $count * 1e6:.3f} s of CPU per million messages')"
    rm -rf "$work"
  done
done
