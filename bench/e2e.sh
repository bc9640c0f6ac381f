#!/bin/sh
# End to end against a loopback HTTP function: `fnprobe run` of N
# invocations (FNPROBE_BENCH_N, default 5000) at parallelism 64, each with a
# JSON payload and two checks, next to `hey` making the same N requests with
# 64 workers against the same server (bench/echoserver) in the same run: the
# reference for what this machine and its loopback can do. Prints one line.
# Needs hey (apt-get install hey).
# It then does the same for a sampled invocation of FNPROBE_BENCH_SAMPLE_N
# calls (default 10000) at concurrency 64, next to hey making as many
# requests with 64 workers. Each number is the best of 3 runs, fnprobe's and
# hey's alternating.
# Usage: bench/e2e.sh
set -eu
cd "$(dirname "$0")/.."
if ! command -v hey >/dev/null 2>&1; then
  echo "end to end: skipped, hey is not installed (apt-get install hey)"
  exit 0
fi
n=${FNPROBE_BENCH_N:-5000} # a multiple of 100
work=$(mktemp -d)
trap 'kill $srv 2>/dev/null; rm -rf "$work"' EXIT INT TERM
go build -o "$work/fnprobe" .
go build -o "$work/echoserver" ./bench/echoserver
"$work/echoserver" >"$work/server.log" 2>&1 &
srv=$!
i=0
until grep -q '^listening on ' "$work/server.log"; do
  i=$((i + 1)); [ $i -gt 100 ] && { echo "echoserver did not start" >&2; exit 1; }
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/server.log")
mkdir "$work/suite"
# N keys as "i-j" pairs: cty's range() stops at 1024 values.
cat >"$work/suite/main.probe.hcl" <<HCL
variable "url" { type = string }
provider "http" {}
function "echo" {
  url    = var.url
  method = "POST"
}
invocation "call" {
  for_each = toset([for p in setproduct(range(100), range($((n / 100)))) : "\${p[0]}-\${p[1]}"])
  function = function.echo
  payload  = { i = each.key }
  expect {
    status = 200
    json   = { status = "ok" }
  }
}
HCL
# The same server, a sampled invocation: SAMPLE_N calls at concurrency 64.
ns=${FNPROBE_BENCH_SAMPLE_N:-10000}
mkdir "$work/sample"
cat >"$work/sample/main.probe.hcl" <<HCL
variable "url" { type = string }
provider "http" {}
function "echo" {
  url    = var.url
  method = "POST"
}
invocation "load" {
  function = function.echo
  payload  = { i = "1" }
  sample {
    count       = $ns
    concurrency = 64
  }
  expect {
    status = 200
    json   = { status = "ok" }
  }
  assert {
    condition = self.stats.error_rate == 0 && self.stats.duration_ms.p99 > 0
  }
}
HCL

# rate N SECONDS_NS: requests per second.
rate() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.0f", n / (ns / 1e9) }'; }
# best A B: the larger.
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }
# heyrate N: hey's requests per second for N requests at 64 workers.
heyrate() { hey -n "$1" -c 64 -m POST -T application/json -d '{"i":"1"}' "$url" | awk '/Requests\/sec/ { printf "%.0f", $2 }'; }
# fnrate N SUITE: fnprobe's invocations per second, start to exit.
fnrate() {
  t0=$(date +%s%N)
  "$work/fnprobe" run -quiet -no-color -parallelism 64 -var "url=$url" "$2" >"$work/run.log" 2>&1 || { cat "$work/run.log" >&2; exit 1; }
  t1=$(date +%s%N)
  rate "$1" $((t1 - t0))
}

# Best of 3 of each, alternating, so that both see the same machine.
heyrps=0 runrps=0 heysrps=0 samplerps=0
for _ in 1 2 3; do
  heyrps=$(best "$heyrps" "$(heyrate "$n")")
  runrps=$(best "$runrps" "$(fnrate "$n" "$work/suite")")
  heysrps=$(best "$heysrps" "$(heyrate "$ns")")
  samplerps=$(best "$samplerps" "$(fnrate "$ns" "$work/sample")")
done

awk -v n="$n" -v run="$runrps" -v hey="$heyrps" -v ns="$ns" -v sample="$samplerps" -v heys="$heysrps" 'BEGIN {
  printf "end to end, run: %d for_each instances at parallelism 64: fnprobe %.0f invocations/s (plan, checks and reports included), hey %.0f requests/s: fnprobe at %.0f%% of hey\n", n, run, hey, 100 * run / hey
  printf "end to end, sample: %d calls at concurrency 64: fnprobe %.0f calls/s (plan, checks, statistics and reports included), hey %.0f requests/s: fnprobe at %.0f%% of hey\n", ns, sample, heys, 100 * sample / heys
}'
