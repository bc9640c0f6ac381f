function "f" { # ERROR: Duplicate function "f" | a.probe.hcl:3
  command = ["cat"]
}

invocation "i" { # ERROR: Duplicate invocation "i" | a.probe.hcl:7
  function = function.f
}
