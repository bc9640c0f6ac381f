# A payload_file known before the run that cannot be read is an error at
# validate, unless an invocation before it might write it.
variable "name" {
  default = "absent.json"
}

provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "missing" {
  function     = function.echo
  payload_file = "missing.json" # ERROR: Cannot read payload_file | static_payload_file/missing.json: no such file or directory
}

invocation "directory" {
  function     = function.echo
  payload_file = "sub" # ERROR: Cannot read payload_file | sub: it is a directory, not a file
}

invocation "from_variable" {
  function     = function.echo
  payload_file = var.name # ERROR: Cannot read payload_file | absent.json: no such file or directory
}

invocation "present" {
  function     = function.echo
  payload_file = "sub/order.json"
}

invocation "written_first" {
  function     = function.echo
  payload_file = "written.json"
  depends_on   = [invocation.present]
}
