#!/bin/sh
# Runs an example suite offline against `fnprobe emulate`:
#
#   examples/run-offline.sh examples/alicloud [extra fnprobe run flags]
#
# It builds fnprobe, starts the emulator on a free loopback port with the
# suite's emulator.hcl, runs the suite with FNPROBE_ENDPOINT pointing at it,
# stops the emulator and exits with the run's exit code. Against the real
# cloud, run the same suite without FNPROBE_ENDPOINT and with real
# credentials in the environment.
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 SUITE_DIR [fnprobe run flags]" >&2
  exit 2
fi
suite=$1
shift
work=$(mktemp -d)
go build -o "$work/fnprobe" "$(dirname "$0")/.."
"$work/fnprobe" emulate -listen 127.0.0.1:0 -config "$suite/emulator.hcl" >"$work/emulator.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT INT TERM
i=0
until grep -q '^listening on ' "$work/emulator.log"; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
    echo "the emulator did not start:" >&2
    cat "$work/emulator.log" >&2
    exit 3
  fi
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/emulator.log" | head -n 1)
status=0
FNPROBE_ENDPOINT=$url "$work/fnprobe" run "$@" "$suite" || status=$?
exit $status
