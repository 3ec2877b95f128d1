#!/usr/bin/env bash
# UDP at a fixed rate: `sluice loadgen` sends numbered 130-byte RFC 3164 datagrams for a fixed time to a
# release build of sluice (lz4, local-directory bucket). Prints what was sent, received (sluice's
# /api/status), dropped by the kernel (its receive buffer full, /proc/net/udp via sluice's counter)
# and stored (every object read back), and sluice's CPU seconds per million messages.
#
#   Benchmarks/e2e/udp-rate.sh [RATE PER SOCKET] [SOCKETS] [SECONDS]     e.g. 37500 4 10: 150,000/s
set -euo pipefail
rate=${1:-37500}
sockets=${2:-4}
seconds=${3:-10}
work=$(mktemp -d /tmp/sluice-udp-XXXXXX)
trap 'kill $sluice_pid 2>/dev/null || true; rm -rf "$work"' EXIT

source "$(dirname "$0")/sluice-under-test.sh"
start_sluice "$work" lz4 udp
"$sluice" loadgen --port "$port" --transport udp --format rfc3164 --size 130 --connections "$sockets" \
  --rate "$rate" --duration "$seconds" --json --quiet > "$work/loadgen.json"
sleep 2
curl -sS "http://127.0.0.1:$metrics_port/api/status" > "$work/status.json"
kill -TERM $sluice_pid
wait $sluice_pid || true
read -r unique duplicates < <(count_stored "$work" lz4)
cpu=$(grep -o 'cpu_seconds="[0-9.]*"' "$work/sluice.log" | tail -1 | tr -dc '0-9.')
python3 - "$work/loadgen.json" "$work/status.json" "$unique" "$duplicates" "$cpu" "$seconds" <<'PY'
import json, sys
loadgen, status = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
unique, duplicates, cpu, seconds = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
sent = loadgen["sent"]
received = sum(v.get("received_messages", 0) for v in status["inputs"].values())
kernel = sum(v for k, v in status["other"].items() if k.startswith("udp_kernel_dropped_datagrams"))
print(f"sent          {sent:,} datagrams in {loadgen['elapsed_seconds']:.1f} s ({sent / loadgen['elapsed_seconds']:,.0f}/s, {loadgen.get('errors', 0)} send errors)")
print(f"received      {received:,}")
print(f"kernel drops  {kernel:,} (receive buffer full)")
print(f"stored        {unique:,} (lost {sent - unique:,}, duplicated {duplicates:,})")
print(f"sluice CPU    {cpu:.2f} s = {cpu / (sent / 1e6):.2f} s per million messages (over {seconds:.0f} s of sending at a fixed rate)")
PY
