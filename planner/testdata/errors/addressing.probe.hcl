provider "local" {}

provider "http" {}

function "echo" {
  provider = provider.local
  command  = ["cat"]
}

function "api" {
  provider = provider.http
  url      = "https://api.example.com/orders"
}

invocation "create" {
  function = function.api
}

invocation "get" {
  function = function.api
  path     = invocation.create.json.id
  query    = { verbose = "1" }
  method   = "GET"
}

invocation "local_path" {
  function = function.echo
  path     = "/x" # ERROR: Invalid path | path is only supported by the http provider; function function.echo is served by provider type local
  method   = "GET" # ERROR: Invalid method | method is only supported by the http provider
}

invocation "local_query" {
  function = function.echo
  query    = { a = invocation.create.body } # ERROR: Invalid query | query is only supported by the http provider
}

invocation "bad_types" {
  function = function.api
  path     = ["a"] # ERROR: Invalid path | path must be a string
  query    = "a=b" # ERROR: Invalid query | query must be a map of string
}

invocation "climbs" {
  function = function.api
  path     = "../admin" # ERROR: Invalid path | path "../admin" has a ".." segment; a path cannot climb above the function's URL
  method   = "GE T" # ERROR: Invalid method | method "GE T" is not a valid HTTP method name
}

invocation "empty_segment" {
  function = function.api
  path     = "a//b" # ERROR: Invalid path | has an empty segment
}

invocation "fine" {
  function = function.api
  path     = "/a b/%2F/c?d/"
  method   = "patch"
}
