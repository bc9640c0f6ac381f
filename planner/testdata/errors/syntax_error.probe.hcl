# A half-written attribute: nothing is decoded after a syntax error.
provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "a" {
  function = function.echo
  payload  = # ERROR: Invalid expression
}
