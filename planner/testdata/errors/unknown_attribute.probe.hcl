provider "local" {
  dri = "handlers" # ERROR: Unsupported argument | Did you mean "dir"?
}

provider "http" {
  base_ur = "http://127.0.0.1:1" # ERROR: Unsupported argument | Did you mean "base_url"?
}

function "echo" { # ERROR: Missing required argument | "command" is required
  provider = provider.local
  comand   = ["cat"] # ERROR: Unsupported argument | Did you mean "command"?
}

function "web" {
  provider = provider.http
  url      = "http://127.0.0.1:1/"
  methd    = "POST" # ERROR: Unsupported argument | Did you mean "method"?
}

invocation "a" {
  function = function.echo
  paylod   = "{}" # ERROR: Unsupported argument | Did you mean "payload"?

  expect {
    stauts = 200 # ERROR: Unsupported argument | Did you mean "status"?
  }

  retry {
    attempt = 3 # ERROR: Unsupported argument | Did you mean "attempts"?
  }

  assert {
    condition = self.status == 200
    error_mesage = "bad" # ERROR: Unsupported argument | Did you mean "error_message"?
  }
}

output "o" {
  value     = 1
  sensitiv = true # ERROR: Unsupported argument | Did you mean "sensitive"?
}

variable "v" {
  default = 1
  typ     = number # ERROR: Unsupported argument | Did you mean "type"?
}

settings {
  paralelism = 2 # ERROR: Unsupported argument | Did you mean "parallelism"?
}
