provider "local" {}

provider "http" {
  alias = "nobase"
}

provider "http" {
  alias    = "base"
  base_url = "https://api.example.com/v1/"
}

invocation "a" {
  function = function.echo
}

function "empty_command" {
  provider = provider.local
  command  = [] # ERROR: Invalid function configuration | function.empty_command: command must name a program to run
}

function "per_list" {
  provider = provider.local
  for_each = ["a"] # ERROR: Invalid for_each argument | use toset() for a list
  command  = [each.value]
}

function "per_key" {
  provider = provider.local
  for_each = toset(["ok", ""])
  command  = [each.key] # ERROR: Invalid function configuration | function.per_key[""]: the first element of command
}

function "relative_url" {
  provider = provider.http.nobase
  url      = "orders" # ERROR: Invalid function configuration | function.relative_url: url "orders" is not an absolute http:// or https:// URL
}

function "ftp_url" {
  provider = provider.http.base
  url      = "ftp://files.example.com/x" # ERROR: Invalid function configuration | function.ftp_url: url
}

function "relative_ok" {
  provider = provider.http.base
  url      = "orders"
}

function "wrong_type" {
  provider = provider.local
  command  = "cat" # ERROR: Incorrect attribute value type | list of string required
}

function "from_result" {
  provider = provider.local
  command  = ["sh", invocation.a.body] # ERROR: Configuration depends on an invocation result | The command of function.from_result | payload or headers
}

function "url_from_result" {
  provider = provider.http.base
  url      = "orders/${invocation.a.json.id}" # ERROR: Configuration depends on an invocation result | The url of function.url_from_result | path (appended below the function's URL), query
}

function "echo" {
  provider = provider.local
  command  = ["cat"]
}
