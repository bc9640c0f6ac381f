locals {
  a = local.b + 1 # ERROR: Cycle in references | local.a | local.b
  b = local.a + 1
  c = local.c # ERROR: Cycle in references | local.c
}

provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "x" {
  function = function.echo
  payload  = local.a
}
