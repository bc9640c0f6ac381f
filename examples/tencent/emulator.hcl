# What `fnprobe emulate` serves for this example.
credential "tencent" {
  token = "emulator-token"
}

function "hello" {
  versions = ["1"]
}

function "broken" {
  behavior = "fail"
  message  = "handler crashed"
}
