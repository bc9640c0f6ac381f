provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "a" { # ERROR: Cycle in references | invocation.a (testdata/errors/cycle_payloads.probe.hcl:7,1-15) | invocation.b (testdata/errors/cycle_payloads.probe.hcl:12,1-15)
  function = function.echo
  payload  = invocation.b.body
}

invocation "b" {
  function = function.echo
  payload  = jsonencode({ from = invocation.a.json })
}

# Not in the cycle: not listed, and no error of its own.
invocation "c" {
  function = function.echo
  payload  = invocation.a.body
}
