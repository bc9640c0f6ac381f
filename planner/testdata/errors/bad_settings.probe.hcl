settings {
  parallelism = 0 # ERROR: Invalid parallelism | at least 1
  timeout     = "1 minute" # ERROR: Invalid timeout | not "1 minute"

  retry {
    attempts = 1.5 # ERROR: Invalid attempts | must be a whole number, not 1.5
    backoff  = var.backoff # ERROR: Constant value required | cannot refer to var.backoff
  }
}

variable "backoff" {
  default = "1s"
}
