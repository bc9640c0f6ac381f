# An unknown provider type is reported once, on its block: the functions
# that use it, with or without a provider argument, say nothing more, and
# neither do the invocations of those functions.
provider "lokal" {} # ERROR: Unsupported provider type | Did you mean "local"?

function "implicit" {
  command = ["cat"]
}

function "explicit" {
  provider = provider.lokal
  command  = ["cat"]
}

invocation "a" {
  function = function.implicit
  payload  = invocation.b.body
}

invocation "b" {
  function = function.explicit
  expect {
    status = self.stauts # ERROR: Unsupported attribute | Did you mean self.status?
  }
}
