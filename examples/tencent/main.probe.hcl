# Tencent CloudBase smoke test.
#
# Offline, against the emulator:
#   fnprobe run -emulate examples/tencent/emulator.hcl examples/tencent
# Against CloudBase: export TCB_ACCESS_TOKEN (an API key works), then
# `fnprobe run -var env_id=your-env-id examples/tencent`.

variable "env_id" {
  type    = string
  default = "demo-env"
}

provider "tencent_cloudbase" {
  env_id   = var.env_id
  endpoint = env("FNPROBE_ENDPOINT")
}

function "hello" {
  name    = "hello"
  version = "1"
}

function "broken" {
  name = "broken"
}

invocation "hello" {
  function = function.hello
  payload  = { name = "fnprobe" }

  expect {
    status = 200
    json   = { name = "fnprobe" }
  }

  assert {
    condition     = self.request_id != ""
    error_message = "no X-Request-Id"
  }
}

# A failing function answers FUNCTION_INVOCATION_FAILED.
invocation "broken" {
  function = function.broken
  payload  = {}

  expect {
    error      = true
    error_code = "FUNCTION_INVOCATION_FAILED"
  }
}
