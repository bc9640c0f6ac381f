#!/bin/sh
# Runs fnprobe's benchmarks and prints the numbers the README quotes, each
# the best of 3 runs (CPU time on a shared 2-core machine is noisy):
#   - validate + plan of 10,000 invocations (budget: 1 s, 200 MB allocated)
#   - the executor's own CPU per invocation, at parallelism 64:
#     * with an instant in-process driver (executor work alone), for the
#       bench suite and for bench/e2e.sh's invocation with lean results as
#       `fnprobe run` builds them, and
#     * against a loopback HTTP function, minus the same calls made
#       straight through the driver (budget: well under 100 µs)
#   - validate + plan of 10,000 locals, of 10,000 function blocks, and
#     validate of a 100 KB file of garbage (budget: well under 1 s each)
#   - validate + plan of 10,000 for_each instances whose keys come from a
#     for-expression, flatten, setproduct, a map, tostring and numbers
#     (budget: 1 s each)
#   - end to end against a loopback HTTP function (bench/echoserver):
#     `fnprobe run` of N invocations at parallelism 64, next to `hey` making
#     the same N requests with 64 workers against the same server, in the
#     same run, as the reference for what the machine can do (skipped when
#     hey is not installed: apt-get install hey)
# The machine (cores, CPU model, load average) is printed first: numbers
# from a loaded 2-core machine vary by a factor of two between runs.
# Usage: bench/run.sh [extra go test flags]
set -eu
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(go test -run '^$' -bench . -benchmem -benchtime 5x -count 3 "$@" ./bench/)
echo "$out" | grep '^Benchmark'
echo "$out" | awk '
  function lo(cur, v) { return (cur == "" || v + 0 < cur + 0) ? v : cur }
  /^BenchmarkValidatePlan10k/ { ns = lo(ns, $3); mem = lo(mem, $5) }
  /^BenchmarkExecutorHTTP/    { ex = lo(ex, $5) }
  /^BenchmarkRawDriverHTTP/   { raw = lo(raw, $5) }
  /^BenchmarkExecutorInstant-/ { inst = lo(inst, $5) }
  /^BenchmarkExecutorInstantLean-/ { lean = lo(lean, $5) }
  /^BenchmarkValidateLocals10k/    { loc = lo(loc, $3) }
  /^BenchmarkValidateFunctions10k/ { fun = lo(fun, $3) }
  /^BenchmarkValidateGarbage100k/  { gar = lo(gar, $3) }
  /^BenchmarkKeys10k\// { split($1, parts, "/"); k = parts[2]; sub(/-[0-9]+$/, "", k); keys[k] = lo(keys[k], $3) }
  END {
    printf "validate+plan 10k: %.0f ms, %.0f MB allocated\n", ns / 1e6, mem / 1e6
    printf "executor alone (instant driver): %.1f cpu-µs per invocation; the e2e invocation, lean: %.1f\n", inst, lean
    printf "validate 10k locals: %.0f ms, 10k functions: %.0f ms, 100 KB garbage: %.0f ms\n", loc / 1e6, fun / 1e6, gar / 1e6
    printf "executor over loopback HTTP: %.1f cpu-µs per invocation (executor %.1f, raw driver %.1f)\n", ex - raw, ex, raw
    printf "validate+plan of 10k instances by key source:"
    for (k in keys) printf " %s %.0f ms,", k, keys[k] / 1e6
    printf "\n"
  }'

# End to end: fnprobe against hey on one loopback server.
sh bench/e2e.sh
