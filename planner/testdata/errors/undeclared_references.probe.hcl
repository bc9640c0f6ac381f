variable "region" {
  default = "hz"
}

locals {
  order = { sku = "A1" }
  bad   = var.regoin # ERROR: Reference to undeclared input variable | Did you mean var.region?
}

provider "local" {}

function "echo" {
  command = ["cat"]
  env     = { ORDER = local.ordr.sku } # ERROR: Reference to undeclared local value | Did you mean local.order?
}

invocation "create" {
  function = function.ecko # ERROR: Reference to undeclared function | Did you mean function.echo?
}

invocation "get" {
  function = function.echo
  payload  = invocation.crate.body # ERROR: Reference to undeclared invocation | Did you mean invocation.create?
  headers  = { P = provider.locl.address } # ERROR: Reference to undeclared provider | Did you mean provider.local?
  depends_on = [invocation.creat] # ERROR: Reference to undeclared invocation | Did you mean invocation.create?
}

output "o" {
  value = local.nothing_like_it # ERROR: Reference to undeclared local value | There is no local value named "nothing_like_it"
}
