# AWS Lambda smoke test.
#
# Offline, against the emulator:
#   fnprobe run -emulate examples/aws/emulator.hcl examples/aws
# Against AWS: export AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and
# AWS_SESSION_TOKEN), then `fnprobe run -var region=eu-west-1 examples/aws`.
# The provider names no credentials: the driver reads them from the
# environment, and -emulate fills in the emulator's. FNPROBE_ENDPOINT, when
# set, aims it at another endpoint (a `fnprobe emulate` of your own).

variable "region" {
  type    = string
  default = "us-east-1"
}

settings {
  retry {
    attempts = 5
    backoff  = "20ms"
  }
}

provider "aws_lambda" {
  region   = var.region
  endpoint = env("FNPROBE_ENDPOINT")
}

function "create_order" {
  name      = "create-order"
  qualifier = "live"
}

function "rejects" {
  name = "rejects"
}

function "busy" {
  name = "busy"
}

invocation "create" {
  function = function.create_order
  payload  = jsonencode({ sku = "A1", qty = 1 })
  logs     = true

  expect {
    status       = 200
    error        = false
    json         = { status = "created" }
    log_contains = "order stored"
  }

  assert {
    condition     = self.version == "2"
    error_message = "alias live executed version ${self.version}"
  }
}

# A handled failure is an answer: 200 with X-Amz-Function-Error.
invocation "declined" {
  function = function.rejects
  payload  = "{}"

  expect {
    status = 200
    error  = true
  }
}

# Asynchronous: accepted with 202, not awaited (Lambda has no task API).
invocation "event" {
  function = function.create_order
  type     = "async"
  payload  = jsonencode({ sku = "B2", qty = 1 })

  expect {
    status = 202
  }
}

invocation "dry_run" {
  function = function.create_order
  type     = "dry_run"

  expect {
    status = 204
  }
}

# Throttled now and then (429 TooManyRequestsException with Retry-After).
invocation "busy" {
  function = function.busy
  payload  = "{}"

  expect {
    status = 200
  }
}
