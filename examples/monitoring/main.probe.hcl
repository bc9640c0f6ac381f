# The monitoring example: a suite for `fnprobe watch`, with the Prometheus
# configuration and alert rules beside it (prometheus.yml, alerts.yml,
# alerts_test.yml). The "functions" are local commands, so it runs
# anywhere; point the providers at your cloud and keep the rest.
#
#   go run . watch -every 1m examples/monitoring             # fnprobe schedules
#   go run . watch -every 0 -listen 127.0.0.1:9466 examples/monitoring
#                                                             # Prometheus schedules (/probe)
#
# See docs/watch.md.

provider "local" {}

function "echo" {
  provider = provider.local
  command  = ["cat"]
}

invocation "ping" {
  for_each = toset(["cn-hangzhou", "cn-shanghai"])
  function = function.echo
  payload  = jsonencode({ region = each.key })
  tags     = ["smoke"]

  expect {
    status       = 200
    error        = false
    json         = { region = each.key }
    max_duration = "5s"
  }
}
