variable "api_key" {
  type      = string
  sensitive = true
}

invocation "create" {
  function = function.create_order
  payload  = jsonencode({ sku = "A1", qty = 2 })

  assert {
    condition     = self.json.qty == 3
    error_message = "expected qty 3, got ${self.json.qty}"
  }
}

invocation "get" {
  function = function.get_order
  headers  = { "X-Api-Key" = var.api_key }

  assert {
    condition     = self.duration_ms < 10 && self.headers["x-key"] != var.api_key
    error_message = "slow but working"
    severity      = "warn"
  }
}

invocation "ping" {
  for_each = toset(["a"])
  function = function.ping[each.key]
}

invocation "report" {
  function = function.report
  payload  = jsonencode({ id = invocation.ping["a"].json.id })
}

invocation "health" {
  function = function.health
}

output "order_id" {
  value = invocation.create.json.id
}
