region = upper("cn-hangzhou") # ERROR: Function calls not allowed
count  = var.region # ERROR: Constant value required
