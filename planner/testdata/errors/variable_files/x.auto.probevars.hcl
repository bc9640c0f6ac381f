regoin = "cn-hangzhou" # WARNING: Value for undeclared variable | Did you mean "region"?
count  = "ten" # ERROR: Invalid value for variable | var.count
