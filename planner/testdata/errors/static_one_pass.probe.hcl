# Mistakes found by different stages (decoding, variables, references,
# evaluation, expansion) are all reported in one run, sorted by line.
invocation "get" {
  function = function.echo
  assert {
    condition = self.stauts == 200 # ERROR: Unsupported attribute | Did you mean self.status?
  }
}

variable "region" {
  default = "x"
  validation {
    condition     = length(var.region) > 2 # ERROR: Invalid value for variable | region too short
    error_message = "region too short"
  }
}

locals {
  order = { sku = "A1" }
  body  = local.ordr.sku # ERROR: Reference to undeclared local value | Did you mean local.order?
}

provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "create" {
  function = function.echo
  expect {
    status = "200" # ERROR: Invalid expect.status | not the string "200"
    stauts = 200 # ERROR: Unsupported argument | An argument named "stauts" is not expected here.
  }
}
