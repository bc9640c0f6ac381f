# A reference to an attribute the result object does not have is an error
# with a did-you-mean, wherever it is: checks, payloads, headers, enabled,
# locals and outputs; for self, invocation.NAME and invocation.NAME[KEY].
provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "create" {
  function = function.echo
  payload  = { id = 1 }
  expect {
    status = self.stauts # ERROR: Unsupported attribute | Did you mean self.status?
    body   = self.json.anything.below # json is dynamic below its first step
  }
  assert {
    condition     = self.headers["x-a"] == "b" && self.headers.x == "y" # fine: a map
    error_message = "got ${self.bdy}" # ERROR: Unsupported attribute | Did you mean self.body?
  }
  retry {
    until = self.eror == false # ERROR: Unsupported attribute | Did you mean self.error?
  }
}

invocation "each" {
  for_each = toset(["a", "b"])
  function = function.echo
}

locals {
  id     = invocation.create.jsn.id # ERROR: Unsupported attribute | Did you mean invocation.create.json?
  result = invocation.create
  code   = local.result.status_code # ERROR: Unsupported attribute | A result's attributes are async_id, attempts
  ok     = invocation.each["a"].json.ok
}

invocation "get" {
  function = function.echo
  payload  = invocation.each["a"].bodyy # ERROR: Unsupported attribute | Did you mean invocation.each["a"].body?
  headers  = { "x-id" = invocation.create.request_ids } # ERROR: Unsupported attribute | Did you mean invocation.create.request_id?
  enabled  = invocation.each.b.erorr == false # ERROR: Unsupported attribute | Did you mean invocation.each.b.error?
  assert {
    condition = self.duration_ms < 100 && self.memory_mb != null && self.async_id != "" && self.attempts > 0
  }
}

output "o" {
  value = invocation.get.logs # ERROR: Unsupported attribute | Did you mean invocation.get.log?
}

output "fine" {
  value = [invocation.get.function_duration_ms, invocation.get.billed_duration_ms, invocation.get.version, invocation.get.instance_id, invocation.get.error_message, invocation.get.error_code, invocation.get.error_type]
}

invocation "indexed" {
  function = function.echo
  payload  = invocation.create["a"] # ERROR: Invalid index | invocation.create is one result: its block has no for_each.
  headers  = { b = invocation.create["bdy"] } # ERROR: Invalid index | Did you mean invocation.create.body?
  expect {
    body = self["stauts"] # ERROR: Invalid index | Did you mean self.status?
  }
}

# HCL skips the right side of && when the left side is unknown; the mistake
# is reported anyway.
invocation "short_circuit" {
  function = function.echo
  retry {
    until = self.json.state == "done" && self.stauts == 200 # ERROR: Unsupported attribute | Did you mean self.status?
  }
  assert {
    condition = self.json.ok ? self.bdy == "" : true # ERROR: Unsupported attribute | Did you mean self.body?
  }
  assert {
    condition = self.json.ok || invocation.each["a"].eror # ERROR: Unsupported attribute | Did you mean invocation.each["a"].error?
  }
}
