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
  aliases  = { live = "2" }
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
