variable "region" { # ERROR: No value for required variable | FNPROBE_VAR_region
  type = string
}

variable "zone" {
  type    = string
  default = null
}
