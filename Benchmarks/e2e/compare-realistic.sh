#!/usr/bin/env bash
# A/B on realistic traffic (../shared/bench/send.py: ~200 hosts, real programs, text that needs
# escaping, 9 facility.severity tags interleaved over 8 hours), alternating runs so every variant
# sees the same machine. Each run is a fresh sluice (sluice-under-test.sh: TCP source, tutorial-style
# <buffer tag,time>, file buffer, local-directory bucket) fed MESSAGES lines over 4 connections, then
# stopped (flush at shutdown). Prints sluice's own CPU seconds per million messages (its getrusage at
# exit), and checks that every message was stored once.
#
#   Benchmarks/e2e/compare-realistic.sh gzip|lz4 MESSAGES ROUNDS VARIANT...
#   VARIANT is BINARY or BINARY:ROUTE, ROUTE one of
#     plain     one JSON route: the direct encoder (default)
#     grep      a <filter> grep that keeps every record (records built as fields, the slow path)
#     inject    <inject> time_key and tag_key on the output (the slow path)
#     outfile   <format> out_file (time, tag, JSON), out_s3's default without <format>
#   e.g. Benchmarks/e2e/compare-realistic.sh gzip 1000000 2 /tmp/base/.build/release/sluice \
#          .build/release/sluice .build/release/sluice:grep
set -euo pipefail
codec=$1 count=$2 rounds=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
sender="$here/../../../shared/bench/send.py"
[ -f "$sender" ] || { echo "no $sender: the shared realistic-traffic generator is needed" >&2; exit 1; }
source "$here/sluice-under-test.sh"
grep_filter='<filter system.**>
  @type grep
  <exclude>
    key message
    pattern /^never matches this$/
  </exclude>
</filter>'
inject_section='<inject>
    time_key time
    time_type string
    time_format %Y-%m-%dT%H:%M:%S.%3NZ
    utc true
    tag_key tag
  </inject>'
for round in $(seq "$rounds"); do
  for variant in "$@"; do
    binary=${variant%%:*}
    route=plain
    [ "$variant" != "$binary" ] && route=${variant#*:}
    extra_directives="" match_extra="" format_type=json
    case $route in
      grep) extra_directives=$grep_filter ;;
      inject) match_extra=$inject_section ;;
      outfile) format_type=out_file ;;
      plain) ;;
      *) echo "unknown route $route" >&2; exit 2 ;;
    esac
    work=$(mktemp -d /tmp/sluice-real-XXXXXX)
    sluice=$binary
    run_sluice "$work" "$codec"
    python3 "$sender" "$port" "$count" --conns 4 --out "$work/sent.json"
    kill -TERM "$sluice_pid"
    wait "$sluice_pid" || true
    cpu=$(grep -o 'cpu_seconds="[0-9.]*"' "$work/sluice.log" | tail -1 | tr -dc '0-9.')
    stored=$(find "$work/bucket" -type f | while read -r f; do
      if [ "$codec" = lz4 ]; then lz4 -dc "$f"; else gzip -dc "$f"; fi
    done | wc -l)
    python3 -c "print(f'round $round  $binary ($route)  $codec: {$cpu / $count * 1e6:.3f} s of CPU per million messages, $stored of $count stored')"
    rm -rf "$work"
  done
done
