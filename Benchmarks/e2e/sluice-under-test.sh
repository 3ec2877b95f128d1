# Sourced by the end-to-end scripts: a release sluice on a TCP syslog source and a local-directory
# bucket, started and waited for, and the numbered messages it stored, counted.
#
#   start_sluice WORK CODEC [TRANSPORT]   builds, then run_sluice with the release binary
#   run_sluice WORK CODEC [TRANSPORT]     writes WORK/sluice.conf (TRANSPORT tcp, udp or relp, default
#                             tcp), starts $sluice on it; sets $port, $sluice_pid, $metrics_port
#   count_stored WORK CODEC   prints "<unique numbered messages> <duplicates>" from WORK/bucket

start_sluice() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  swift build -c release --product sluice --package-path "$root" >/dev/null
  sluice="$root/.build/release/sluice"
  run_sluice "$@"
}

run_sluice() {
  local work=$1 codec=$2 transport=${3:-tcp}
  local type=syslog
  if [ "$transport" = relp ]; then type=relp; transport=tcp; fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$work/sluice.conf" <<CONF
<source>
  @type $type
  port $port
  bind 127.0.0.1
  tag system
  <transport $transport>
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
  "$sluice" run -c "$work/sluice.conf" --metrics-address "127.0.0.1:$metrics_port" 2> "$work/sluice.log" &
  sluice_pid=$!
  for _ in $(seq 100); do grep -q "listening syslog socket" "$work/sluice.log" && break; sleep 0.1; done
}

count_stored() {
  local work=$1 codec=$2
  find "$work/bucket" -type f | while read -r f; do
    if [ "$codec" = lz4 ]; then lz4 -dc "$f"; else gzip -dc "$f"; fi
  done | python3 -c '
import sys, json
seen = {}
for line in sys.stdin:
    n = json.loads(line)["message"].split("seq=", 1)[1].split(" ", 1)[0]
    seen[n] = seen.get(n, 0) + 1
print(len(seen), sum(v - 1 for v in seen.values()))'
}
