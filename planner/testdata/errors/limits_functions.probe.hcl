# Functions whose result can explode estimate it from their arguments and
# refuse before computing it; every function's result is checked after.
provider "local" {}

function "echo" {
  command = ["cat"]
}

locals {
  big_string = format("%016777217d", 1) # ERROR: Error in function call | "format" failed: the result would be a string of 16,777,276 bytes, larger than the 16 MiB limit
  cube       = length(setproduct(range(1000), range(1000), range(1000))) # ERROR: Error in function call | the result would have 4000000000 elements, more than the 100000 limit
  many       = range(1000000000) # ERROR: Error in function call | 1000000000 elements
  k          = "${format("%01024d", 0)}"
  m          = "${format("%01048576d", 0)}"
  joined     = join(local.m, range(20)) # ERROR: Error in function call | larger than the 16 MiB limit
  replaced   = replace(local.m, "0", local.k) # ERROR: Error in function call | larger than the 16 MiB limit
  indented   = indent(100000000, "a\nb") # ERROR: Error in function call | larger than the 16 MiB limit
  split      = split("", local.m) # ERROR: Error in function call | 1048576 elements
  encoded    = jsonencode([for i in range(20) : local.m]) # ERROR: Error in function call | larger than the 16 MiB limit
  flat       = flatten([for i in range(100) : range(1001)]) # ERROR: Error in function call | "flatten" failed: an argument is refused: the value has more than 100000 elements
  cube_for   = [for i in range(1000) : [for j in range(1000) : [for k in range(1000) : k]]] # ERROR: Value too large | These nested for expressions would iterate 1000000 times, more than the 100000 limit
  fine       = length(setproduct(range(10), range(10), range(10)))
}

invocation "x" {
  function = function.echo
  payload  = { a = local.fine }
}
