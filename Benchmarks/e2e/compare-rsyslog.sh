#!/usr/bin/env bash
# Sluice and rsyslog side by side on the same load: `sluice loadgen` sends MESSAGES numbered 130-byte
# RFC 3164 lines over CONNECTIONS TCP connections to each in turn. rsyslog (apt) receives with imtcp
# and writes one gzip file (omfile zipLevel 6) or a plain file; Sluice runs the tutorial path (buffer,
# gzip level 6) into a bucket on a local SeaweedFS S3 server (BUCKET s3, the default) or a local
# directory (BUCKET local). Prints CPU seconds per million messages of each receiver and
# the ratio, plus what each stored.
#
#   Benchmarks/e2e/compare-rsyslog.sh [MESSAGES] [CONNECTIONS] [s3|local]
set -euo pipefail
messages=${1:-2000000}
connections=${2:-4}
bucket=${3:-s3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v rsyslogd >/dev/null || { echo "rsyslogd is not installed: apt-get install rsyslog" >&2; exit 1; }
work=$(mktemp -d /tmp/sluice-compare-XXXXXX)
trap 'rm -rf "$work"' EXIT

swift build -c release --product sluice --package-path "$root" >/dev/null 2>&1
sluice="$root/.build/release/sluice"

echo "== sluice (gzip 6, $bucket bucket)"
sluice_out=$("$here/tcp-throughput.sh" "$messages" "$connections" gzip tcp "$bucket" 2>/dev/null)
echo "$sluice_out" | grep -v '^loadgen'
sluice_cpu=$(echo "$sluice_out" | awk '/sluice CPU/ {print $3}')

rsyslog_run() {  # $1 = zipLevel (0 for a plain file)
  local zip=$1 port dir
  dir="$work/rsyslog-$zip"; mkdir -p "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local file="$dir/out.log"; [ "$zip" -gt 0 ] && file="$dir/out.log.gz"
  cat > "$dir/rsyslog.conf" <<CONF
global(workDirectory="$dir")
module(load="imtcp")
input(type="imtcp" port="$port" address="127.0.0.1")
*.* action(type="omfile" file="$file" zipLevel="$zip" template="RSYSLOG_TraditionalFileFormat")
CONF
  rsyslogd -n -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid" > "$dir/rsyslogd.log" 2>&1 &
  rsyslog_pid=$!
  for _ in $(seq 100); do ss -ltn | grep -q ":$port " && break; sleep 0.1; done
  "$sluice" loadgen --port "$port" --transport tcp --format rfc3164 --size 130 \
    --connections "$connections" --count "$messages" --json > "$dir/loadgen.json"
  # Wait until rsyslog has written everything: the file stops growing.
  local last=-1 size=0
  while true; do
    sleep 1
    size=$(stat -c %s "$file" 2>/dev/null || echo 0)
    [ "$size" = "$last" ] && break
    last=$size
  done
  local ticks
  ticks=$(awk '{print $14 + $15}' "/proc/$rsyslog_pid/stat")
  kill -TERM $rsyslog_pid; wait $rsyslog_pid 2>/dev/null || true
  local stored
  if [ "$zip" -gt 0 ]; then stored=$(gzip -dc "$file" 2>/dev/null | wc -l); else stored=$(wc -l < "$file"); fi
  python3 -c "print(f'{$ticks / $(getconf CLK_TCK):.2f} {$stored}')"
}

for zip in 6 0; do
  read -r cpu stored < <(rsyslog_run $zip)
  echo "== rsyslog omfile zipLevel=$zip"
  python3 - <<PY
cpu, stored, messages = $cpu, $stored, $messages
print(f"stored lines           {stored} of {messages}")
print(f"rsyslogd CPU           {cpu:.2f} s = {cpu / messages * 1e6:.2f} s per million messages")
PY
  [ "$zip" = 6 ] && rsyslog_gzip_cpu=$cpu
done
python3 -c "
s, r = $sluice_cpu, $rsyslog_gzip_cpu
print(f'== CPU per message, sluice (gzip 6, through its buffer) / rsyslog (gzip 6 file): {s / r:.2f}')"
