# VAR: n=3
# Each mistake is reported once: what refers to a block, a variable or a
# value that failed is not reported again.
variable "n" {
  type    = number
  default = "many" # ERROR: Invalid default value for variable | a number is required
}

locals {
  m     = var.n + 1
  bad   = 1 + "a" # ERROR: Invalid operand | a number is required
  uses  = [local.bad, local.m]
  x     = local.y # ERROR: Cycle in references | local.x
  y     = local.x
  cycle = local.x
}

provider "local" {}

provider "http" {
  base_url = "https://example.com/"
  timeot   = "1s" # ERROR: Unsupported argument
}

function "cmd" {
  provider = provider.local
  command  = ["echo", local.bad]
}

function "each" {
  provider = provider.local
  for_each = local.bad
  command  = ["echo", each.key]
}

function "typo" { # ERROR: Missing required argument | "command" is required
  provider = provider.local
  comand   = ["cat"] # ERROR: Unsupported argument | Did you mean "command"?
}

function "over_http" {
  provider = provider.http
  url      = "orders"
}

invocation "a" {
  function = function.cmd
  payload  = local.uses
  timeout  = local.cycle
}

invocation "b" {
  for_each = local.bad
  function = function.each[each.key]
}

invocation "c" {
  function = function.typo
  payload  = var.n
  tags     = [tostring(var.n)]
}

invocation "d" {
  function = function.over_http
  depends_on = [invocation.a]
}

invocation "e" {
  function = function.nope # ERROR: Reference to undeclared function | There is no function named "nope"
  payload  = invocation.a.bdy # ERROR: Unsupported attribute | Did you mean invocation.a.body?
}

output "o" {
  value = [local.m, local.cycle, invocation.b]
}

function "each_broken" {
  provider = provider.local
  for_each = toset([var.n])
  command  = ["echo", each.key]
}

invocation "from_each_broken" {
  for_each = toset(["a"])
  function = function.each_broken[each.key]
}
