provider "local" {}

function "echo" {
  command = ["cat"]
}

invocaton "a" { # ERROR: Unsupported block type | Did you mean "invocation"?
  function = function.echo
}

functions "b" { # ERROR: Unsupported block type | Did you mean "function"?
}
