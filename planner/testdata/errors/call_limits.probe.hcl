provider "local" {
  max_concurrency = 0 # ERROR: Invalid max_concurrency | max_concurrency must be a whole number of at least 1, not 0
  rate_limit      = -2 # ERROR: Invalid rate_limit | rate_limit is calls per second
}

provider "local" {
  alias           = "ok"
  max_concurrency = 4
  rate_limit      = 2.5
}

function "echo" {
  provider        = provider.local.ok
  command         = ["cat"]
  max_concurrency = "many" # ERROR: Invalid max_concurrency | max_concurrency must be a whole number
}

function "later" {
  provider   = provider.local.ok
  command    = ["cat"]
  rate_limit = invocation.first.json.rate # ERROR: Invalid rate_limit | must be known before anything is invoked
}

function "fine" {
  provider   = provider.local.ok
  command    = ["cat"]
  rate_limit = 10
}

invocation "first" {
  function = function.fine
}
