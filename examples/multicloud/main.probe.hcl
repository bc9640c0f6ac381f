# The same function, deployed on five clouds, checked with one for_each.
#
# Offline:
#   fnprobe run -emulate examples/multicloud/emulator.hcl examples/multicloud
# For real, export each cloud's credentials (and leave FNPROBE_ENDPOINT
# unset): each provider then calls its cloud.

provider "alicloud_fc2" {
  region     = "cn-hangzhou"
  account_id = "1234567890"
  endpoint   = env("FNPROBE_ENDPOINT")
}

provider "alicloud_fc3" {
  region   = "cn-hangzhou"
  endpoint = env("FNPROBE_ENDPOINT")
}

provider "aws_lambda" {
  region   = "us-east-1"
  endpoint = env("FNPROBE_ENDPOINT")
}

provider "huaweicloud_functiongraph" {
  region     = "cn-north-4"
  project_id = "0123456789abcdef0123456789abcdef"
  endpoint   = env("FNPROBE_ENDPOINT")
}

provider "tencent_cloudbase" {
  env_id   = "demo-env"
  endpoint = env("FNPROBE_ENDPOINT")
}

function "fc2" {
  provider = provider.alicloud_fc2
  service  = "default"
  name     = "hello"
}

function "fc3" {
  provider = provider.alicloud_fc3
  name     = "hello"
}

function "lambda" {
  provider = provider.aws_lambda
  name     = "hello"
}

function "functiongraph" {
  provider = provider.huaweicloud_functiongraph
  name     = "hello"
}

function "cloudbase" {
  provider = provider.tencent_cloudbase
  name     = "hello"
}

locals {
  deployments = {
    alicloud_fc2              = function.fc2
    alicloud_fc3              = function.fc3
    aws_lambda                = function.lambda
    huaweicloud_functiongraph = function.functiongraph
    tencent_cloudbase         = function.cloudbase
  }
}

invocation "hello" {
  for_each = local.deployments
  function = each.value
  payload  = jsonencode({ from = each.key })

  expect {
    status = 200
    error  = false
    json   = { from = each.key }
  }

  assert {
    condition     = self.request_id != ""
    error_message = "${each.key} reported no request id"
  }
}
