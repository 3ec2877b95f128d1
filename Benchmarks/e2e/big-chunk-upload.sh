#!/usr/bin/env bash
# One big chunk (1 GB of records by default) uploaded to a local SeaweedFS by a release sluice, by
# multipart upload: sluice's resident memory is sampled every 0.2 s while it compresses and uploads,
# and the upload rate is compared with boto3's (s3transfer, 8 MiB parts, 10 threads) sending the same
# object to the same server in the same run. Every message is counted back from the bucket.
#
#   Benchmarks/e2e/big-chunk-upload.sh [MESSAGES] [CODEC] [PART SIZE]
#   e.g. Benchmarks/e2e/big-chunk-upload.sh 5200000 gzip 16m    (about 1 GB of JSON records)
set -euo pipefail
messages=${1:-5200000}
codec=${2:-gzip}
part_size=${3:-16m}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/sluice-bigchunk-XXXXXX)
sluice_pid=""; weed_pid=""
source "$(dirname "$0")/sluice-under-test.sh"
trap 'kill $sluice_pid 2>/dev/null || true; stop_seaweedfs; rm -rf "$work"' EXIT

swift build -c release --product sluice --package-path "$root" >/dev/null
sluice="$root/.build/release/sluice"
start_seaweedfs "$work"

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
  aws_key_id $key_id
  aws_sec_key $secret
  s3_bucket bench
  s3_endpoint $endpoint
  force_path_style true
  path big/
  store_as $codec
  upload_part_size $part_size
  <format>
    @type json
  </format>
  <buffer time>
    @type file
    path $work/buffer
    timekey 3600
    timekey_wait 3600
    chunk_limit_size 2g
    flush_at_shutdown true
  </buffer>
</match>
CONF
"$sluice" run -c "$work/sluice.conf" --log-level debug 2> "$work/sluice.log" &
sluice_pid=$!
for _ in $(seq 100); do grep -q "listening syslog socket" "$work/sluice.log" && break; sleep 0.1; done

"$sluice" loadgen --port "$port" --connections 4 --count "$messages" --size 170 --quiet --duration 600
for _ in $(seq 600); do [ "$(grep -c 'syslog connection closed by the sender' "$work/sluice.log")" -ge 4 ] && break; sleep 0.1; done
sleep 2
rss() { awk '/^RssAnon/{a=$2} /^RssFile/{f=$2} END{printf "%.1f %.1f\n", a/1024, f/1024}' /proc/$sluice_pid/status; }
read -r anon_before file_before < <(rss)
buffered_mib=$(du -sm "$work/buffer" | cut -f1)

kill -USR1 $sluice_pid
start=$(date +%s.%N)
peak_anon=0; peak_file=0
while ! grep -q "uploaded big/" "$work/sluice.log"; do
  read -r anon file < <(rss)
  peak_anon=$(python3 -c "print(max($peak_anon, $anon))"); peak_file=$(python3 -c "print(max($peak_file, $file))")
  sleep 0.2
done
end=$(date +%s.%N)
line=$(grep -o 'uploaded big/[^ ]* ([0-9]* records, [0-9]* bytes[^)]*)' "$work/sluice.log" | head -1)
object_bytes=$(echo "$line" | sed -E 's/.* records, ([0-9]+) bytes.*/\1/')
kill -TERM $sluice_pid; wait $sluice_pid || true; sluice_pid=""

# The same object, sent by boto3 to the same server: the baseline rate.
key=$(echo "$line" | sed -E 's/uploaded ([^ ]*) .*/\1/')
boto "s3.download_file('bench', sys.argv[1], sys.argv[2])" "$key" "$work/object"
boto_seconds=$(boto "
import time
from boto3.s3.transfer import TransferConfig
t = time.monotonic()
s3.upload_file(sys.argv[1], 'bench', 'baseline/object', Config=TransferConfig(multipart_chunksize=8 << 20, max_concurrency=10))
print(time.monotonic() - t)" "$work/object")

if [ "$codec" = lz4 ]; then decompress="lz4 -dc"; elif [ "$codec" = gzip ]; then decompress="gzip -dc"; else decompress=cat; fi
read -r unique duplicates < <($decompress "$work/object" | python3 -c '
import sys
seen = {}
for line in sys.stdin.buffer:
    start = line.index(b"seq=") + 4
    n = line[start:line.index(b" ", start)]
    seen[n] = seen.get(n, 0) + 1
print(len(seen), sum(v - 1 for v in seen.values()))')

python3 - <<PY
seconds = $end - $start
object_mib = $object_bytes / 1048576
print(f"chunk: $messages messages, {$buffered_mib} MiB of buffer segments on disk, store_as $codec, upload_part_size $part_size")
print(f"{'$line'}")
print(f"sluice: sealed to stored in {seconds:.1f} s: {object_mib / seconds:.1f} MiB/s of object, {$buffered_mib / seconds:.1f} MiB/s of records (compressing as it reads)")
print(f"boto3 upload_file of the same object: {$boto_seconds:.1f} s, {object_mib / $boto_seconds:.1f} MiB/s; ratio sluice/boto3 time {seconds / $boto_seconds:.2f}")
print(f"resident memory before the flush: anonymous {$anon_before} MiB, file-backed {$file_before} MiB")
print(f"peak while compressing and uploading: anonymous {$peak_anon} MiB, file-backed {$peak_file} MiB")
print(f"stored {$unique} of $messages messages, lost {$messages - $unique}, duplicated {$duplicates}")
PY
