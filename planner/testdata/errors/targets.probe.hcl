# TARGET: creat
# TARGET: invocation.ping["sh"]
# TARGET: invocation.ping[sh]
# TAG: nothing-has-this
# ERROR-NOSOURCE: Invalid target | "creat" names no invocation | Did you mean invocation.create?
# ERROR-NOSOURCE: Invalid target | invocation.ping has no key "sh"
# ERROR-NOSOURCE: Invalid target | invalid key

provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "create" {
  function = function.echo
}

invocation "ping" {
  for_each = toset(["hz"])
  function = function.echo
}
