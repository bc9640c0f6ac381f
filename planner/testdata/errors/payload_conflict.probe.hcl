provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "a" {
  function     = function.echo
  payload      = "{}"
  payload_file = "order.json" # ERROR: Conflicting payload arguments | Only one of payload and payload_file # ERROR: Cannot read payload_file | order.json: no such file or directory
}
