#!/usr/bin/env bash
# A/B of two (or more) sluice binaries on the same load, alternating so both see the same machine:
# each run is a fresh sluice on a TCP source and a local-directory bucket, fed MESSAGES numbered
# 130-byte lines over 4 connections by `sluice loadgen`, then stopped (flush at shutdown). Prints the
# CPU seconds per million messages of each run (sluice logs its getrusage figures as it stops). The
# first binary's `loadgen` drives every run, so the load is the same.
#
#   Benchmarks/e2e/compare-binaries.sh gzip|lz4 MESSAGES ROUNDS BINARY...
#   e.g. cp .build/release/sluice /tmp/sluice-before; (change, swift build -c release)
#        Benchmarks/e2e/compare-binaries.sh lz4 2000000 2 /tmp/sluice-before .build/release/sluice
set -euo pipefail
codec=$1 count=$2 rounds=$3
shift 3
loadgen=$1
for round in $(seq "$rounds"); do
  for binary in "$@"; do
    work=$(mktemp -d /tmp/sluice-ab-XXXXXX)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat > "$work/sluice.conf" <<CONF
<source>
  @type syslog
  port $port
  bind 127.0.0.1
  tag system
  <transport tcp>
  </transport>
</source>
<match system.**>
  @type s3
  local_directory $work/bucket
  path syslog/
  store_as $codec
  <buffer tag,time>
    @type file
    path $work/buffer
    timekey 3600
    timekey_wait 10m
    chunk_limit_size 256m
    flush_at_shutdown true
  </buffer>
</match>
CONF
    "$binary" run -c "$work/sluice.conf" --metrics-address off 2> "$work/sluice.log" &
    pid=$!
    for _ in $(seq 100); do grep -q "listening syslog socket" "$work/sluice.log" && break; sleep 0.1; done
    "$loadgen" loadgen --port "$port" --count "$count" --connections 4 --size 130 --quiet
    kill -TERM $pid
    wait $pid || true
    cpu=$(grep -o 'cpu_seconds="[0-9.]*"' "$work/sluice.log" | tail -1 | tr -dc '0-9.')
    python3 -c "print(f'round $round  $binary  $codec: {$cpu / $count * 1e6:.3f} s of CPU per million messages')"
    rm -rf "$work"
  done
done
