provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "wait_sync" {
  function = function.echo
  wait     = true # ERROR: Invalid wait | only applies to asynchronous invocations
}

invocation "async_local" {
  function = function.echo
  type     = "async" # ERROR: Invalid type | Provider type local does not support "async" invocations; it supports sync.
}

invocation "bad_type" {
  function = function.echo
  type     = "fire_and_forget" # ERROR: Invalid type | not "fire_and_forget"
}

invocation "logs" {
  function = function.echo
  logs     = "sometimes" # ERROR: Invalid logs | true or false
}

invocation "tags" {
  function = function.echo
  tags     = "smoke" # ERROR: Invalid tags | list of strings
}

invocation "tags_object" {
  function = function.echo
  tags     = { smoke = true } # ERROR: Invalid tags | list of strings
}

invocation "headers" {
  function = function.echo
  headers  = ["X-A"] # ERROR: Invalid headers | map of string
}

invocation "enabled" {
  function = function.echo
  enabled  = "maybe" # ERROR: Invalid enabled | bool
}

invocation "payload_file" {
  function     = function.echo
  payload_file = { path = "x" } # ERROR: Invalid payload_file | string
}

invocation "not_a_function" {
  function = "echo" # ERROR: Invalid function | must refer to one function block
}

invocation "unknown_timeout" {
  function = function.echo
  timeout  = invocation.wait_sync.body # ERROR: Invalid timeout | depends on an invocation result
}
