variable "n" {
  type    = number
  default = 1

  validation {
    condition     = true # ERROR: Invalid validation condition | refers to nothing
    error_message = "never"
  }

  validation {
    condition     = var.n > 0 && var.m > 0 # ERROR: Invalid reference in variable validation | only refer to the variable itself, using var.n
    error_message = "positive"
  }
}

provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "a" {
  function = function.echo

  retry {
    until = 1 == 1 # ERROR: Invalid retry condition | refers to nothing
  }

  assert {
    condition = true # ERROR: Invalid assertion condition | refers to nothing
  }

  assert {
    condition = length("abc") == 3 # ERROR: Invalid assertion condition
  }

  assert {
    condition = self.status == 200
    severity  = "fatal" # ERROR: Invalid severity | "error" or "warn", not "fatal"
  }

  assert {
    condition = self.status == 200
    severity  = var.n # ERROR: Constant value required
  }

  assert { # ERROR: Missing required argument | "condition" is required
    error_message = "no condition"
  }
}
