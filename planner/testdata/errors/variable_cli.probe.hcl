# VAR: regoin=cn-hangzhou
# VAR: novalue
# VAR: count=abc
# VAR: names=["a",
# ENV: FNPROBE_VAR_flag=perhaps
# ERROR-NOSOURCE: Value for undeclared variable | var.regoin | Did you mean "region"?
# ERROR-NOSOURCE: Invalid -var option | "novalue"
# ERROR-NOSOURCE: Invalid value for variable | count
# ERROR-NOSOURCE: Missing expression
# ERROR-NOSOURCE: Invalid value for variable | FNPROBE_VAR_flag

variable "region" {
  type    = string
  default = "cn-shanghai"
}

variable "count" {
  type    = number
  default = 1
}

variable "names" {
  type    = list(string)
  default = []
}

variable "flag" {
  type    = bool
  default = false
}
