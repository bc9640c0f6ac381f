provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "a" {
  function = function.echo
}

invocation "d" {
  function   = function.echo
  depends_on = [invocation.a, "a"] # ERROR: Invalid depends_on reference | takes a list of references
}

invocation "e" {
  function   = function.echo
  depends_on = invocation.a # ERROR: Invalid expression | A static list expression is required
}
