variable "region" {
  type    = string
  default = "us-east-1"

  validation {
    condition     = startswith(var.region, "cn-") # ERROR: Invalid value for variable | region must be a cn- region, not us-east-1. | validation rule at testdata/errors/variable_validation.probe.hcl:5
    error_message = "region must be a cn- region, not ${var.region}."
  }

  validation {
    condition     = length(var.region) > 0
    error_message = "region must not be empty."
  }
}

variable "token" {
  type      = string
  default   = "short"
  sensitive = true

  validation {
    condition     = length(var.token) >= 8 # ERROR: Invalid value for variable | The error message included a sensitive value
    error_message = "token ${var.token} is too short."
  }
}

variable "size" {
  type    = number
  default = 3

  validation {
    condition     = var.size # ERROR: Invalid validation condition | must be true or false
    error_message = "never shown"
  }
}
