# VAR-FILE: extra.probevars.hcl
# VAR-FILE: missing.probevars.hcl
# ERROR-NOSOURCE: Cannot read variables file | missing.probevars.hcl

variable "region" {
  type = string
}

variable "count" {
  type    = number
  default = 1
}
