provider "http" {
  alias = "address" # ERROR: Invalid provider alias name | "address" is reserved
}

provider "http" {
  alias = "not valid" # ERROR: Invalid provider alias name | "not valid" is not a valid name
}

provider "http" {
  alias = ["x"] # ERROR: Invalid alias | must be a string
}

provider "local" {
  alias = var.name # ERROR: Constant value required | cannot refer to var.name
}

variable "name" {
  default = "x"
}
