provider "local" {}

invocation "a" { # ERROR: Missing required argument | The argument "function" is required
  payload = "{}"
}
