provider "local" {}

function "echo" {
  provider = provider.local
  command  = ["cat"]
}

invocation "ping" {
  for_each = toset(["cn-hangzhou", "cn-shanghai"])
  function = function.echo
}

invocation "none" {
  for_each = toset([])
  function = function.echo
}

invocation "use" {
  function = function.echo
  payload  = invocation.ping["cn-hangzou"].body # ERROR: Invalid index | has the keys "cn-hangzhou", "cn-shanghai". Did you mean invocation.ping["cn-hangzhou"]?
  headers  = { x = invocation.none["a"].body } # ERROR: Invalid index | its for_each is empty
  assert {
    condition = invocation.ping["cn-shanghai"].status == 200
  }
}

locals {
  first = invocation.ping["eu"].json # ERROR: Invalid index | invocation.ping has no instance with the key "eu"
}

output "o" {
  value = invocation.ping["cn-shanghai"].json
}
