variable "regions" {
  type    = list(string)
  default = ["hz", "sh"]
}

variable "secret_keys" {
  type      = set(string)
  default   = ["k1"]
  sensitive = true
}

provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "source" {
  function = function.echo
}

invocation "list_literal" {
  for_each = ["a", "b"] # ERROR: Invalid for_each argument | use toset() for a list
  function = function.echo
}

invocation "list_var" {
  for_each = var.regions # ERROR: Invalid for_each argument | use toset() for a list | not a list of string
  function = function.echo
}

invocation "from_result" {
  for_each = invocation.source.json # ERROR: Invalid for_each argument | depends on an invocation result | for_each must be known when planning
  function = function.echo
}

invocation "null" {
  for_each = null # ERROR: Invalid for_each argument | must not be null
  function = function.echo
}

invocation "string" {
  for_each = "hz" # ERROR: Invalid for_each argument | not a string
  function = function.echo
}

invocation "sensitive" {
  for_each = var.secret_keys # ERROR: Invalid for_each argument | sensitive value
  function = function.echo
}

invocation "set_of_objects" {
  for_each = toset([{ a = 1 }]) # ERROR: Invalid for_each argument | set of strings
  function = function.echo
}

invocation "whole_function" {
  for_each = toset(["a"])
  function = function.per_key # ERROR: Invalid function | function.NAME[KEY]
}

function "per_key" {
  for_each = { a = "x" }
  command  = [each.value]
}
