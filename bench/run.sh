#!/bin/sh
# Runs fnprobe's benchmarks and prints the numbers the README quotes:
#   - validate + plan of 10,000 invocations (budget: 1 s, 200 MB allocated)
#   - the executor's own CPU per invocation against a loopback HTTP function
#     at parallelism 64 (executor cpu-µs/inv minus raw driver cpu-µs/inv;
#     budget: well under 100 µs)
# Usage: bench/run.sh [-count N]
set -eu
cd "$(dirname "$0")/.."
out=$(go test -run '^$' -bench . -benchmem -benchtime 5x "$@" ./bench/)
echo "$out" | grep '^Benchmark'
echo "$out" | awk '
  /^BenchmarkValidatePlan10k/ { printf "validate+plan 10k: %.0f ms, %.0f MB allocated\n", $3/1e6, $5/1e6 }
  /^BenchmarkExecutorHTTP/    { ex = $5 }
  /^BenchmarkRawDriverHTTP/   { raw = $5 }
  END { if (ex != "" && raw != "") printf "executor overhead: %.1f cpu-µs per invocation (executor %.1f, raw driver %.1f)\n", ex - raw, ex, raw }'
