function "which" { # ERROR: Missing provider | Function "which" must say which provider serves it
  command = ["cat"]
}
