# The quickstart suite: runs anywhere Go and a POSIX shell are, no cloud
# account needed. The "functions" are local commands: the payload arrives on
# stdin, stdout is the body, stderr the log, a non-zero exit a function error.
#
#   go run . run examples/quickstart

settings {
  parallelism = 4
  timeout     = "10s"
}

variable "sku" {
  type        = string
  default     = "A1"
  description = "The product to order"
}

locals {
  order = { sku = var.sku, qty = 2 }
}

provider "local" {}

function "create_order" {
  provider = provider.local
  command  = ["sh", "./handlers/create_order.sh"]
}

function "get_order" {
  provider = provider.local
  command  = ["sh", "./handlers/get_order.sh"]
}

function "echo" {
  provider = provider.local
  command  = ["cat"]
}

invocation "create" {
  function = function.create_order
  payload  = jsonencode(local.order)
  logs     = true
  tags     = ["smoke"]

  expect {
    status       = 200
    error        = false
    json         = { status = "created", sku = local.order.sku }
    log_contains = "order stored"
    max_duration = "5s"
  }

  assert {
    condition     = self.json.qty == local.order.qty
    error_message = "expected qty ${local.order.qty}, got ${self.json.qty}"
  }
}

invocation "get" {
  function = function.get_order
  # A reference to another invocation's result is a dependency edge:
  # "get" runs after "create" passes, and is skipped if it fails.
  payload = jsonencode({ id = invocation.create.json.id })
  tags    = ["smoke"]

  expect {
    json = { id = invocation.create.json.id, found = true }
  }
}

invocation "ping" {
  for_each = toset(["cn-hangzhou", "cn-shanghai"])
  function = function.echo
  payload  = { region = each.key }

  expect {
    json = { region = each.key }
  }
}

output "order_id" {
  value = invocation.create.json.id
}
