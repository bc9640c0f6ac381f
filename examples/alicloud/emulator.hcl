# What `fnprobe emulate` serves for this example: the functions the suite
# expects to find deployed, and the demo credential.
seed = 1

credential "alicloud" {
  access_key_id     = "emulator"
  access_key_secret = "emulator-secret"
}

function "create-order" {
  behavior = "command"
  command  = ["sh", "../quickstart/handlers/create_order.sh"]
  versions = ["1", "2"]
  aliases  = { prod = "2" }
}

function "get-order" {
  behavior = "command"
  command  = ["sh", "../quickstart/handlers/get_order.sh"]
  service  = "orders"
}

function "ping" {
  behavior = "echo"
  fault {
    throttle_rate   = 0.3
    throttle_status = 503
  }
}

function "reindex" {
  behavior = "sleep"
  sleep    = "100ms"
}
