#!/usr/bin/env bash
# Resident memory of sluice under sustained load with 256 MB chunks: `sluice loadgen` sends at a fixed
# rate for a fixed time over TCP to a release build (gzip 6, local-directory bucket), and sluice's
# anonymous and file-backed resident memory is sampled every 10 s. Prints the samples, the first and
# last minute's averages, and the stored/lost/duplicated counts after the final flush.
#
#   Benchmarks/e2e/steady-memory.sh [SECONDS] [RATE PER CONNECTION] [CONNECTIONS]
set -euo pipefail
seconds=${1:-300}
rate=${2:-25000}
connections=${3:-4}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/sluice-steady-XXXXXX)
trap 'kill $sluice_pid 2>/dev/null || true; rm -rf "$work"' EXIT

swift build -c release --product sluice --package-path "$root" >/dev/null
sluice="$root/.build/release/sluice"
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
  store_as gzip
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
"$sluice" run -c "$work/sluice.conf" 2> "$work/sluice.log" &
sluice_pid=$!
for _ in $(seq 100); do grep -q "listening syslog socket" "$work/sluice.log" && break; sleep 0.1; done

"$sluice" loadgen --port "$port" --transport tcp --format rfc3164 --size 130 --connections "$connections" \
  --rate "$rate" --duration "$seconds" --json > "$work/loadgen.json" &
loadgen_pid=$!
echo "seconds  anonymous_MiB  file_MiB  buffer_MiB_on_disk"
start=$(date +%s)
while kill -0 $loadgen_pid 2>/dev/null; do
  sleep 10
  now=$(( $(date +%s) - start ))
  read -r anon file < <(awk '/^RssAnon/{a=$2} /^RssFile/{f=$2} END{print a+0, f+0}' /proc/$sluice_pid/status)
  disk=$(du -sm "$work/buffer" | cut -f1)
  printf "%7d  %13.1f  %8.1f  %18s\n" "$now" "$(echo "$anon/1024" | bc -l)" "$(echo "$file/1024" | bc -l)" "$disk" | tee -a "$work/samples"
done
wait $loadgen_pid || true
kill -TERM $sluice_pid
wait $sluice_pid || true
sent=$(python3 -c "import json; print(json.load(open('$work/loadgen.json'))['sent'])")
stored=$(find "$work/bucket" -type f -name '*.gz' -exec gzip -dc {} + | python3 -c '
import sys, json
seen = {}
for line in sys.stdin:
    n = json.loads(line)["message"].split("seq=", 1)[1].split(" ", 1)[0]
    seen[n] = seen.get(n, 0) + 1
print(len(seen), sum(v - 1 for v in seen.values()))')
python3 - <<PY
rows = [list(map(float, l.split())) for l in open("$work/samples")]
first = [r for r in rows if r[0] <= 70]
last = [r for r in rows if r[0] >= rows[-1][0] - 60]
avg = lambda rs, i: sum(r[i] for r in rs) / max(len(rs), 1)
print(f"anonymous MiB: first minute {avg(first,1):.1f}, last minute {avg(last,1):.1f}, max {max(r[1] for r in rows):.1f}")
print(f"file-backed MiB: first minute {avg(first,2):.1f}, last minute {avg(last,2):.1f}, max {max(r[2] for r in rows):.1f}")
unique, duplicates = map(int, "$stored".split())
print(f"sent $sent, stored {unique}, lost {$sent - unique}, duplicated {duplicates}")
PY
grep -o 'stopped cpu_seconds="[0-9.]*" peak_rss_kb="[0-9]*"' "$work/sluice.log" || true
