# Three invocations in a cycle through three locals: six members, listed
# in a fixed order (locals first, then invocations, each by name).
provider "local" {}

function "echo" {
  command = ["cat"]
}

locals {
  from_a = invocation.a.body # ERROR: Cycle in references | - local.from_a (testdata/errors/cycle_through_locals.probe.hcl:10,3-29)\n  - local.from_b (testdata/errors/cycle_through_locals.probe.hcl:11,3-29)\n  - local.from_c (testdata/errors/cycle_through_locals.probe.hcl:12,3-29)\n  - invocation.a (testdata/errors/cycle_through_locals.probe.hcl:15,1-15)\n  - invocation.b (testdata/errors/cycle_through_locals.probe.hcl:20,1-15)\n  - invocation.c (testdata/errors/cycle_through_locals.probe.hcl:25,1-15)\n
  from_b = invocation.b.body
  from_c = invocation.c.body
}

invocation "a" {
  function = function.echo
  payload  = local.from_b
}

invocation "b" {
  function = function.echo
  payload  = local.from_c
}

invocation "c" {
  function = function.echo
  payload  = local.from_a
}
