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
work=$(mktemp -d /tmp/sluice-steady-XXXXXX)
trap 'kill $sluice_pid 2>/dev/null || true; rm -rf "$work"' EXIT

source "$(dirname "$0")/sluice-under-test.sh"
start_sluice "$work" gzip

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
stored=$(count_stored "$work" gzip)
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
