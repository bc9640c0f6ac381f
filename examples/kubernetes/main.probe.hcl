# The suite the Kubernetes example deploys (kustomization.yaml puts it in
# the ConfigMap fnprobe-suite). Its "functions" are local commands so that
# it runs anywhere, in CI too; replace them with your providers and
# functions, and credentials from a Secret (env in the manifests).
#
#   kubectl apply -k examples/kubernetes

provider "local" {}

function "echo" {
  provider = provider.local
  command  = ["cat"]
}

invocation "ping" {
  function = function.echo
  payload  = jsonencode({ ping = true })
  tags     = ["smoke"]

  expect {
    status = 200
    json   = { ping = true }
  }
}
