#!/usr/bin/env bash
# End-to-end figure for the tutorial path: `sluice loadgen` sends numbered 130-byte RFC 3164 lines (as
# rsyslog forwards them) over TCP to a release build of sluice, through the partition buffer and gzip (or
# lz4) into a bucket (a local directory, or a local S3 server); then every object is read back and
# counted.
#
# Prints messages/s accepted, messages stored, loss, duplicates, peak resident memory (and its
# anonymous and file-backed parts, sampled from /proc every 0.2 s: sealed segments are mapped while
# they are compressed) and CPU seconds of the sluice process per million messages (sluice logs its getrusage figures when it stops; CPU
# seconds carry across machines and noise better than msgs/s).
#
# With relp as TRANSPORT the same load goes over RELP sessions, each message answered once durable.
# With s3 as BUCKET the objects go to a local SeaweedFS S3 server (multipart upload, SigV4) started for
# the run, and are read back from it.
#
#   Benchmarks/e2e/tcp-throughput.sh [MESSAGES] [CONNECTIONS] [gzip|lz4] [tcp|relp] [local|s3]
set -euo pipefail
messages=${1:-1000000}
connections=${2:-4}
codec=${3:-gzip}
transport=${4:-tcp}
bucket=${5:-local}
work=$(mktemp -d /tmp/sluice-bench-XXXXXX)
sluice_pid=""; weed_pid=""
source "$(dirname "$0")/sluice-under-test.sh"
trap 'kill $sluice_pid 2>/dev/null || true; stop_seaweedfs; rm -rf "$work"' EXIT

if [ "$bucket" = s3 ]; then start_seaweedfs "$work"; fi
start_sluice "$work" "$codec" "$transport" "$bucket"
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
"$sluice" loadgen --port "$port" --transport "$transport" --format rfc3164 --size 130 \
  --connections "$connections" --count "$messages" --json > "$work/loadgen.json"
sent_at=$(date +%s.%N)
kill -TERM $sluice_pid
wait $sluice_pid || true
end=$(date +%s.%N)
# sluice logs `stopped cpu_seconds="…" peak_rss_kb="…"` as it exits.
peak_kb=$(grep -o 'peak_rss_kb="[0-9]*"' "$work/sluice.log" | tail -1 | tr -dc '0-9' || true)
read -r peak_anon peak_file < "$work/rss-peaks" || true
cpu=$(grep -o 'cpu_seconds="[0-9.]*"' "$work/sluice.log" | tail -1 | tr -dc '0-9.' || true)

stored=$(count_stored "$work" "$codec" "$bucket")
unique=${stored% *}
duplicates=${stored#* }
python3 - <<PY
messages, unique, duplicates = $messages, $unique, $duplicates
send_seconds = $sent_at - $start
total_seconds = $end - $start
cpu = float("${cpu:-0}" or 0)
print(f"messages sent          {messages}")
print(f"accepted rate          {messages / send_seconds:,.0f} msgs/s over {send_seconds:.2f} s ($connections $transport connections, $codec, $bucket bucket)")
print(f"stored (unique)        {unique}")
print(f"loss                   {messages - unique}")
print(f"duplicates             {duplicates}")
print(f"sluice CPU             {cpu:.2f} s = {cpu / messages * 1e6:.2f} s per million messages")
print(f"peak resident memory   {int('${peak_kb:-0}' or 0) / 1024:.1f} MiB (sampled peaks: anonymous {int('${peak_anon:-0}' or 0) / 1024:.1f} MiB, file-backed {int('${peak_file:-0}' or 0) / 1024:.1f} MiB)")
print(f"wall time to last flush {total_seconds:.2f} s")
print(f"loadgen                {open('$work/loadgen.json').read().strip()}")
PY
