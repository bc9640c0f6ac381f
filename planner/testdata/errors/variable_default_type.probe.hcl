variable "count" {
  type    = number
  default = "many" # ERROR: Invalid default value for variable | a number is required
}

variable "names" {
  type    = list(string)
  default = { a = 1 } # ERROR: Invalid default value for variable | list of string required
}

variable "typo" {
  type = strin # ERROR: Invalid type specification | not a valid type
}

variable "computed" {
  default = upper("x") # ERROR: Function calls not allowed
}

variable "refers" {
  default = var.count # ERROR: Constant value required | cannot refer to var.count
}

variable "sens" {
  sensitive = "yes" # ERROR: Invalid sensitive | true or false
}

variable "bad name!" { # ERROR: Invalid variable name | "bad name!" is not a valid name
  default = 1
}
