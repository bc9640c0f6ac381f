provider "local" {}

function "echo" {
  command = ["cat"]
}

locals {
  whole = invocation # ERROR: Invalid reference | refer to one invocation
  root  = invocaton.a.body # ERROR: Unknown reference | Did you mean "invocation"?
  other = path.module # ERROR: Unknown reference | There is no object named "path".
}

invocation "a" {
  function = function.echo
  payload  = self.body # ERROR: Invalid reference to self | only available inside its expect, assert and retry
  headers  = { K = each.key } # ERROR: Invalid reference to each | only available in blocks that set for_each

  expect {
    body = invocation.a.body # ERROR: Invalid self-reference | use self instead
  }
}

invocation "b" {
  for_each = toset(["x"])
  function = function.echo
  payload  = each.name # ERROR: Invalid reference to each | each.key and each.value
  enabled  = self.error # ERROR: Invalid reference to self

  retry {
    attempts = 2
    until    = self.status == 200
  }
}

invocation "c" {
  for_each = toset([each.key]) # ERROR: Invalid reference to each
  function = function.echo
  depends_on = [local.whole, invocation.c] # ERROR: Invalid depends_on reference | local.whole is not one # ERROR: Invalid self-reference
}

output "o" {
  value = self.body # ERROR: Invalid reference to self
}
