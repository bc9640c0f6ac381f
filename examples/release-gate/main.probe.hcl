# A release gate for orders, version 7 rolled out as a canary behind the
# alias "live" (10 % of its traffic). Offline, against the emulator:
#
#   fnprobe run -emulate examples/release-gate/emulator.hcl examples/release-gate
#
# Against AWS, with credentials in the environment:
#
#   fnprobe run -var region=eu-west-1 examples/release-gate

variable "region" {
  type    = string
  default = "us-east-1"
}

provider "aws_lambda" {
  region          = var.region
  endpoint        = env("FNPROBE_ENDPOINT")
  max_concurrency = 16 # the gate must not make Lambda throttle it
}

function "stable" {
  name      = "orders"
  qualifier = "6"
}

function "live" {
  name      = "orders"
  qualifier = "live"
}

# The baseline: version 6 alone.
invocation "stable" {
  function = function.stable
  payload  = { sku = "A1", qty = 1 }
  sample {
    count       = 200
    concurrency = 8
  }
  expect {
    status = 200
    json   = { sku = "A1" }
  }
}

# What users get through the alias, drawn call by call next to the
# baseline, so a network blip hits both.
invocation "live" {
  function = function.live
  payload  = { sku = "A1", qty = 1 }
  logs     = true # Lambda's REPORT line: function and billed durations, cold starts
  sample {
    count       = 200
    concurrency = 8
    interleave  = invocation.stable
  }
  expect {
    status = 200
    json   = { sku = "A1" }
  }

  # Latency: p95 under 300 ms.
  assert {
    condition     = self.stats.duration_ms.p95 < 300
    error_message = "p95 is ${self.stats.duration_ms.p95} ms"
  }

  # Errors: under 1 % of the calls.
  assert {
    condition     = self.stats.error_rate < 0.01
    error_message = "${self.stats.failed + self.stats.errored} of ${self.stats.count} calls failed"
  }

  # The split: about 10 % of the calls ran version 7.
  assert {
    condition     = abs(lookup(self.stats.versions, "7", 0) / self.stats.count - 0.1) < 0.06
    error_message = "version 7 ran ${lookup(self.stats.versions, "7", 0)} of ${self.stats.count} calls, not about 10 %"
  }

  # Not slower than the baseline: fail only when the difference is
  # significant (Mann-Whitney, p < 0.001) AND large (25 % at the median).
  assert {
    condition     = !(mann_whitney_p(self.stats.durations_ms, invocation.stable.stats.durations_ms) < 0.001 && self.stats.duration_ms.p50 > 1.25 * invocation.stable.stats.duration_ms.p50)
    error_message = "live p50 ${self.stats.duration_ms.p50} ms against stable ${invocation.stable.stats.duration_ms.p50} ms"
  }
}

output "versions" {
  value = invocation.live.stats.versions
}
