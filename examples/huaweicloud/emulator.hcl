# What `fnprobe emulate` serves for this example.
credential "huaweicloud" {
  access_key_id     = "emulator"
  access_key_secret = "emulator-secret"
  project_id        = "0123456789abcdef0123456789abcdef"
}

function "hello" {
  versions = ["v1"]
  aliases  = { prod = "v1" }
}

function "report" {
  behavior = "sleep"
  sleep    = "100ms"
}
