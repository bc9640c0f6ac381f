provider "local" {}
provider "local" {} # ERROR: Duplicate provider "local"

provider "http" {
  alias = "a"
}
provider "http" { # ERROR: Duplicate provider "http.a"
  alias = "a"
}

variable "v" {
  default = 1
}
variable "v" { # ERROR: Duplicate variable "v"
  default = 2
}

locals {
  l = 1
}
locals {
  l = 2 # ERROR: Duplicate local value "l"
}

function "f" {
  provider = provider.local
  command  = ["cat"]
}
function "f" { # ERROR: Duplicate function "f"
  provider = provider.local
  command  = ["cat"]
}

invocation "i" {
  function = function.f
}
invocation "i" { # ERROR: Duplicate invocation "i"
  function = function.f
}

output "o" {
  value = 1
}
output "o" { # ERROR: Duplicate output "o"
  value = 2
}

settings {}
settings {} # ERROR: Duplicate settings block

invocation "j" {
  function = function.f
  expect {}
  expect {} # ERROR: Duplicate expect block
  retry {}
  retry {} # ERROR: Duplicate retry block
}
