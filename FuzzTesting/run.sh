#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer and AddressSanitizer and runs each for SECONDS (default 60)
# on a seed corpus made from Fixtures/. A crash stops the run with its input saved under
# FuzzTesting/crashes/<target>/; add it to the regression tests and fix it. Prints executions per target.
#
#   FuzzTesting/run.sh [SECONDS] [TARGET ...]     targets: FuzzParser FuzzFramer FuzzRELP FuzzConfig
set -euo pipefail
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzParser FuzzFramer FuzzRELP FuzzConfig)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# `--sanitize` links libFuzzer's main; the -Xswiftc flags instrument the code (without them a clean
# build fuzzes blind: no coverage). run.sh checks libFuzzer reports instrumented modules.
swift build -c release --package-path "$here" --scratch-path "$root/.build-fuzz" \
  --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >/dev/null
work=$(mktemp -d /tmp/sluice-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT

# Seeds: one syslog line per file; the framing cases' streams; RELP sessions; the configuration files.
mkdir -p "$work/FuzzParser" "$work/FuzzFramer" "$work/FuzzRELP" "$work/FuzzConfig"
n=0
for file in "$root"/Fixtures/syslog/*.syslog; do
  while IFS= read -r line || [ -n "$line" ]; do n=$((n + 1)); printf '%s' "$line" > "$work/FuzzParser/seed-$n"; done < "$file"
done
python3 - "$root/Fixtures/framing/framing.jsonl" "$work/FuzzFramer" <<'PY'
import json, sys
for number, line in enumerate(open(sys.argv[1])):
    case = json.loads(line)
    stream = case.get("input") or case.get("stream") or ""
    data = stream.encode("utf-8", "surrogateescape") if isinstance(stream, str) else bytes(stream)
    open(f"{sys.argv[2]}/seed-{number}", "wb").write(bytes([number % 64]) + data)
PY
# RELP sessions as rsyslog's omrelp writes them, each with a few piece sizes.
for file in "$root"/Fixtures/relp/*.relp; do
  for piece in 0 7 63; do { printf "\\$(printf '%03o' $piece)"; cat "$file"; } > "$work/FuzzRELP/$(basename "$file")-$piece"; done
done
find "$root/Fixtures/config" -type f -name '*.conf' | while read -r file; do cp "$file" "$work/FuzzConfig/$(echo "$file" | tr '/' '_')"; done

status=0
for target in "${targets[@]}"; do
  mkdir -p "$here/crashes/$target"
  if "$root/.build-fuzz/release/$target" "$work/$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$here/crashes/$target/" -print_final_stats=1 > "$work/$target.log" 2>&1; then
    result=ok
  else
    result="CRASH (input in FuzzTesting/crashes/$target/)"; status=1
    grep -A25 -m1 "ERROR\|Fatal error\|deadly signal" "$work/$target.log" | head -40
  fi
  if ! grep -q "INFO: Loaded [0-9]* modules" "$work/$target.log"; then
    result="NOT INSTRUMENTED (no coverage feedback)"; status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$' || echo "?")
  corpus=$(ls "$work/$target" | wc -l)
  printf "%-11s %s s, %s executions, corpus %s inputs: %s\n" "$target" "$seconds" "$runs" "$corpus" "$result"
done
exit $status
