provider "local" {}

variable "calls" {
  type    = number
  default = 0
}

function "echo" {
  provider = provider.local
  command  = ["cat"]
}

invocation "bad_numbers" {
  function = function.echo
  sample {
    count       = var.calls # ERROR: Invalid sample count | count must be a whole number of at least 1, not 0
    concurrency = 1001 # ERROR: Invalid sample concurrency | concurrency must be at most 1000
    rate        = 0 # ERROR: Invalid sample rate | rate is calls per second
    warmup      = -1 # ERROR: Invalid sample warmup | warmup must be a whole number of at least 0
  }
}

invocation "too_many" {
  function = function.echo
  sample {
    count  = 100000
    warmup = 1 # ERROR: Invalid sample warmup | warmup and count together must be at most 100000 calls
  }
}

invocation "typo" {
  function = function.echo
  sample {
    count = 10
    conc  = 2 # ERROR: Unsupported argument | An argument named "conc" is not expected here
  }
  assert {
    condition = self.stats.duration_ms.p59 < 300 # ERROR: Unsupported attribute | Did you mean self.stats.duration_ms.p95?
  }
  assert {
    condition = self.stats.eror_rate < 0.01 # ERROR: Unsupported attribute | Did you mean self.stats.error_rate?
  }
}

invocation "runtime" {
  function = function.echo
  sample {
    count = invocation.typo.stats.count # ERROR: Invalid sample count | must be known before anything is invoked
  }
}

invocation "twice" {
  function = function.echo
  sample {
    count = 1
  }
  sample { # ERROR: Duplicate sample block
    count = 2
  }
}

output "uses" {
  value = invocation.typo.stats.versions
}
