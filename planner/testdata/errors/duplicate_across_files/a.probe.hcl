provider "local" {}

function "f" {
  command = ["cat"]
}

invocation "i" {
  function = function.f
}
