# Huawei Cloud FunctionGraph smoke test.
#
# Offline, against the emulator:
#   fnprobe run -emulate examples/huaweicloud/emulator.hcl examples/huaweicloud
# Against FunctionGraph: export HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK, then
# `fnprobe run -var project_id=... -var region=cn-north-4 examples/huaweicloud`.

variable "region" {
  type    = string
  default = "cn-north-4"
}

variable "project_id" {
  type    = string
  default = "0123456789abcdef0123456789abcdef"
}

provider "huaweicloud_functiongraph" {
  region     = var.region
  project_id = var.project_id
  endpoint   = env("FNPROBE_ENDPOINT")
}

# Addressed by package, name and alias: the URN is built from them.
function "hello" {
  package = "default"
  name    = "hello"
  alias   = "prod"
}

# Addressed by a short URN (package:name).
function "report" {
  urn = "default:report"
}

invocation "hello" {
  function = function.hello
  payload  = { greeting = "ni hao" }
  logs     = true

  expect {
    status = 200
    error  = false
    json   = { greeting = "ni hao" }
  }

  assert {
    condition     = self.function_duration_ms != null
    error_message = "X-Cff-Invoke-Summary was not mapped"
  }
}

# Asynchronous, awaited through the async-invocation list.
invocation "report" {
  function = function.report
  type     = "async"
  wait     = true
  payload  = { month = "2026-11" }

  expect {
    error = false
  }
}
