# Runner options are printed in plans and reports: a sensitive value there
# is rejected (it used to panic: "value is marked, so must be unmarked first").
variable "secret" {
  default   = "sync"
  sensitive = true
}

locals {
  fn = { address = var.secret }
}

provider "local" {}

function "echo" {
  command = ["cat"]
  env     = { TOKEN = var.secret } # fine: function configuration may hold secrets
}

invocation "a" {
  function = function.echo
  payload  = var.secret # fine: payloads may hold secrets
  type     = var.secret # ERROR: Invalid type | must not use a sensitive value
  tags     = ["smoke", var.secret] # ERROR: Invalid tags | must not use a sensitive value
  timeout  = var.secret # ERROR: Invalid timeout | must not use a sensitive value
}

invocation "b" {
  function = local.fn # ERROR: Invalid function | must not use a sensitive value
}

invocation "c" {
  for_each = toset([var.secret]) # ERROR: Invalid for_each argument | sensitive value
  function = function.echo
}
