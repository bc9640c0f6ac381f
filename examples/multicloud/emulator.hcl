# One function, "hello", deployed on every cloud: the emulator serves the
# same function through each cloud's invoke API.
credential "alicloud" {
  access_key_id     = "emulator"
  access_key_secret = "emulator-secret"
}

credential "aws" {
  access_key_id     = "emulator"
  access_key_secret = "emulator-secret"
}

credential "huaweicloud" {
  access_key_id     = "emulator"
  access_key_secret = "emulator-secret"
}

credential "tencent" {
  token = "emulator-token"
}

function "hello" {
  service = "default"
}
