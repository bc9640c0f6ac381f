# What `fnprobe emulate` serves for this example.
credential "aws" {
  access_key_id     = "emulator"
  access_key_secret = "emulator-secret"
  region            = "us-east-1"
}

function "create-order" {
  behavior = "command"
  command  = ["sh", "../quickstart/handlers/create_order.sh"]
  versions = ["1", "2"]
  aliases  = { live = "2" }   # the suite's assert needs version 2 here

  # A weighted alias (Lambda's RoutingConfig): 10 % of calls to "canary"
  # run version 2, the rest version 1; X-Amz-Executed-Version says which.
  alias "canary" {
    version                    = "1"
    additional_version_weights = { "2" = 0.1 }
  }
}

function "rejects" {
  behavior = "fail"
  message  = "payment declined"
}

function "busy" {
  fault {
    throttle_rate = 0.4
    retry_after   = "10ms"
  }
}
