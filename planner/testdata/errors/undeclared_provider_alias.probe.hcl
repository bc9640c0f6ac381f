provider "http" {
  alias = "prod"
}

function "f" {
  provider = provider.http.prd # ERROR: Reference to undeclared provider | Did you mean provider.http.prod?
  url      = "http://127.0.0.1:1/"
}

function "g" {
  provider = "http" # ERROR: Invalid provider reference
  url      = "http://127.0.0.1:1/"
}

function "h" {
  provider = provider # ERROR: Invalid provider reference
  url      = "http://127.0.0.1:1/"
}
