# A post-deployment smoke test for Alibaba Cloud Function Compute.
#
# Offline, against the emulator:
#   fnprobe run -emulate examples/alicloud/emulator.hcl examples/alicloud
# Against the cloud: export ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET, set
# -var account_id=... -var region=..., and run `fnprobe run examples/alicloud`.

variable "region" {
  type    = string
  default = "cn-hangzhou"
}

variable "account_id" {
  type    = string
  default = "1234567890"
}

settings {
  timeout = "10s"
  retry {
    attempts = 5
    backoff  = "50ms"
  }
}

# FC 3.0: endpoint is empty (the cloud's default) unless FNPROBE_ENDPOINT is
# set. No credentials here: the driver reads ALIBABA_CLOUD_ACCESS_KEY_ID and
# _SECRET, and -emulate fills in the emulator's.
provider "alicloud_fc3" {
  region     = var.region
  account_id = var.account_id
  endpoint   = env("FNPROBE_ENDPOINT")
}

# FC 2.0, API 2021-04-06 (ACS3 signatures), for a function in a service.
provider "alicloud_fc2" {
  api_version = "2021-04-06"
  region      = var.region
  account_id  = var.account_id
  endpoint    = env("FNPROBE_ENDPOINT")
}

locals {
  order = { sku = "A1", qty = 2 }
}

function "create_order" {
  provider  = provider.alicloud_fc3
  name      = "create-order"
  qualifier = "prod"
}

function "get_order" {
  provider = provider.alicloud_fc2
  service  = "orders"
  name     = "get-order"
}

function "ping" {
  provider = provider.alicloud_fc3
  name     = "ping"
}

function "reindex" {
  provider = provider.alicloud_fc3
  name     = "reindex"
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
  }

  assert {
    condition     = self.version == "2"
    error_message = "the prod alias executed version ${self.version}, want 2"
  }
}

invocation "get" {
  function = function.get_order
  payload  = jsonencode({ id = invocation.create.json.id })
  tags     = ["smoke"]

  expect {
    json = { id = invocation.create.json.id, found = true }
  }
}

# Throttled now and then (503 ResourceThrottled in the emulator): retried.
invocation "ping" {
  for_each = toset(["a", "b", "c"])
  function = function.ping
  payload  = { probe = each.key }

  expect {
    json = { probe = each.key }
  }
}

# An asynchronous task, awaited until it finishes.
invocation "reindex" {
  function = function.reindex
  type     = "async"
  wait     = true
  payload  = "full"

  expect {
    body = "full"
  }
}

output "order_id" {
  value = invocation.create.json.id
}
