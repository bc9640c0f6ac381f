provider "locla" {} # ERROR: Unsupported provider type | Did you mean "local"? | Supported types: http, local.

provider "aws_lambda" {} # ERROR: Unsupported provider type | no provider type "aws_lambda"

function "f" {
  provider = provider.htp.x # ERROR: Unsupported provider type | Did you mean "http"?
  url      = "http://127.0.0.1:1/"
}
