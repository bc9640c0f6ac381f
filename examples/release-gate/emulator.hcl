# What `fnprobe emulate` serves for the release-gate example: orders has
# a stable version 6 and a canary version 7; the alias "live" sends 10 %
# of its calls to the canary, as a Lambda alias with RoutingConfig does.
seed = 7 # the alias's draws are deterministic for a seed

credential "aws" {
  access_key_id     = "emulator"
  access_key_secret = "emulator-secret"
  region            = "us-east-1"
}

function "orders" {
  behavior = "sleep" # echoes the payload after sleep: a function that works for 2 ms
  sleep    = "2ms"
  versions = ["6", "7"]

  alias "live" {
    version                    = "6"
    additional_version_weights = { "7" = 0.1 }
  }
}
