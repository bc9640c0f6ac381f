provider "local" {}

function "echo" {
  provider = provider.local
  command  = ["cat"]
}

invocation "first" {
  function = function.echo
}

invocation "stable" {
  function = function.echo
  sample {
    count = 10
  }
}

invocation "canary" {
  function = function.echo
  sample {
    count      = 10
    interleave = invocation.stable
  }
}

invocation "unsampled" {
  function = function.echo
}

invocation "to_unsampled" {
  function = function.echo
  sample {
    count      = 10
    interleave = invocation.unsampled # ERROR: Invalid interleave | invocation.unsampled has no sample block
  }
}

invocation "counts" {
  function = function.echo
  sample {
    count      = 11
    interleave = invocation.stable # ERROR: Invalid interleave | their count and warmup must be equal
  }
}

invocation "reads" {
  function = function.echo
  payload  = invocation.stable.json
  sample {
    count      = 10
    interleave = invocation.stable # ERROR: Invalid interleave | only the checks may read the partner's result
  }
}

invocation "extra_dep" {
  function   = function.echo
  depends_on = [invocation.first]
  sample {
    count      = 10
    interleave = invocation.stable # ERROR: Invalid interleave | it depends on invocation.first too
  }
}

invocation "chain" {
  function = function.echo
  sample {
    count      = 10
    interleave = invocation.canary # ERROR: Invalid interleave | pairs do not chain
  }
}

invocation "self" {
  function = function.echo
  sample {
    count      = 10
    interleave = invocation.self # ERROR: Invalid self-reference
  }
}

invocation "bad_ref" {
  function = function.echo
  sample {
    count      = 10
    interleave = "stable" # ERROR: Invalid interleave reference
  }
}

invocation "missing" {
  function = function.echo
  sample {
    count      = 10
    interleave = invocation.nope # ERROR: Reference to undeclared invocation
  }
}
