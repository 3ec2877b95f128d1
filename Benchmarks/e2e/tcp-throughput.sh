#!/usr/bin/env bash
# End-to-end figure for the tutorial path: `sluice loadgen` sends numbered 130-byte RFC 3164 lines (as
# rsyslog forwards them) over TCP to a release build of sluice, through the partition buffer and gzip (or
# lz4) into a local-directory bucket; then every object is read back and counted.
#
# Prints messages/s accepted, messages stored, loss, duplicates, peak resident memory (and its
# anonymous and file-backed parts, sampled from /proc every 0.2 s: the buffer's mapped segments are
# file-backed) and CPU seconds of the sluice process per million messages (sluice logs its getrusage figures when it stops; CPU
# seconds carry across machines and noise better than msgs/s).
#
#   Benchmarks/e2e/tcp-throughput.sh [MESSAGES] [CONNECTIONS] [gzip|lz4]
set -euo pipefail
messages=${1:-1000000}
connections=${2:-4}
codec=${3:-gzip}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/sluice-bench-XXXXXX)
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
"$sluice" run -c "$work/sluice.conf" 2> "$work/sluice.log" &
sluice_pid=$!
for _ in $(seq 100); do grep -q "listening syslog socket" "$work/sluice.log" && break; sleep 0.1; done
# Peak anonymous and file-backed resident memory, sampled while it runs.
( peak_anon=0; peak_file=0
  while kill -0 $sluice_pid 2>/dev/null; do
    read -r anon file < <(awk '/^RssAnon/{a=$2} /^RssFile/{f=$2} END{print a+0, f+0}' /proc/$sluice_pid/status 2>/dev/null || echo "0 0")
    [ "$anon" -gt "$peak_anon" ] && peak_anon=$anon
    [ "$file" -gt "$peak_file" ] && peak_file=$file
    echo "$peak_anon $peak_file" > "$work/rss-peaks"
    sleep 0.2
  done ) &

start=$(date +%s.%N)
"$sluice" loadgen --port "$port" --transport tcp --format rfc3164 --size 130 \
  --connections "$connections" --count "$messages" --json > "$work/loadgen.json"
sent_at=$(date +%s.%N)
kill -TERM $sluice_pid
wait $sluice_pid || true
end=$(date +%s.%N)
# sluice logs `stopped cpu_seconds="…" peak_rss_kb="…"` as it exits.
peak_kb=$(grep -o 'peak_rss_kb="[0-9]*"' "$work/sluice.log" | tail -1 | tr -dc '0-9' || true)
read -r peak_anon peak_file < "$work/rss-peaks" || true
cpu=$(grep -o 'cpu_seconds="[0-9.]*"' "$work/sluice.log" | tail -1 | tr -dc '0-9.' || true)

stored=$(find "$work/bucket" -type f | while read -r f; do
  if [ "$codec" = lz4 ]; then lz4 -dc "$f"; else gzip -dc "$f"; fi
done | python3 -c '
import sys, json
seen = {}
for line in sys.stdin:
    n = json.loads(line)["message"].split("seq=", 1)[1].split(" ", 1)[0]
    seen[n] = seen.get(n, 0) + 1
print(len(seen), sum(v - 1 for v in seen.values()))')
unique=${stored% *}
duplicates=${stored#* }
python3 - <<PY
messages, unique, duplicates = $messages, $unique, $duplicates
send_seconds = $sent_at - $start
total_seconds = $end - $start
cpu = float("${cpu:-0}" or 0)
print(f"messages sent          {messages}")
print(f"accepted rate          {messages / send_seconds:,.0f} msgs/s over {send_seconds:.2f} s ($connections TCP connections, $codec)")
print(f"stored (unique)        {unique}")
print(f"loss                   {messages - unique}")
print(f"duplicates             {duplicates}")
print(f"sluice CPU             {cpu:.2f} s = {cpu / messages * 1e6:.2f} s per million messages")
print(f"peak resident memory   {int('${peak_kb:-0}' or 0) / 1024:.1f} MiB (sampled peaks: anonymous {int('${peak_anon:-0}' or 0) / 1024:.1f} MiB, file-backed {int('${peak_file:-0}' or 0) / 1024:.1f} MiB)")
print(f"wall time to last flush {total_seconds:.2f} s")
print(f"loadgen                {open('$work/loadgen.json').read().strip()}")
PY
