# Expected values that the executor would refuse are errors before the run,
# with its rules: a string is no status, but a list of strings that convert
# to numbers is; error and the string checks convert as the executor does.
variable "code" {
  type    = string
  default = "200"
}

provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "wrong" {
  function = function.echo
  expect {
    status       = "200" # ERROR: Invalid expect.status | a number or a list of numbers, not the string "200"
    error        = 1 # ERROR: Invalid expect.error | true or false, not the number 1
    error_type   = ["Unhandled"] # ERROR: Invalid expect.error_type | must be a string, not a tuple
    error_code   = null # ERROR: Invalid expect.error_code | must be a string, not null
    body         = { a = 1 } # ERROR: Invalid expect.body | must be a string, not a object
    body_matches = ["x"] # ERROR: Invalid expect.body_matches | regular expression string
    log_contains = { a = "b" } # ERROR: Invalid expect.log_contains | a string or a list of strings
    max_duration = "1 second" # ERROR: Invalid expect.max_duration | not "1 second"
  }
}

invocation "wrong_lists" {
  function = function.echo
  logs     = true
  expect {
    status       = [200, "ok"] # ERROR: Invalid expect.status | this list holds a string
    log_contains = ["a", null] # ERROR: Invalid expect.log_contains | holds null
  }
}

invocation "wrong_types" {
  function = function.echo
  expect {
    status       = self.body # ERROR: Invalid expect.status | not a string
    error        = self.status # ERROR: Invalid expect.error | not a number
    max_duration = self.duration_ms # ERROR: Invalid expect.max_duration | not a number
  }
  assert {
    condition = self.headers # ERROR: Invalid assertion condition | not a map of string
  }
  retry {
    until = self.json == null ? self.status : 1 # ERROR: Invalid retry condition | not a number
  }
}

invocation "wrong_from_variable" {
  function = function.echo
  expect {
    status = var.code # ERROR: Invalid expect.status | not the string "200"
  }
}

invocation "fine" {
  function = function.echo
  logs     = true
  expect {
    status       = ["200", 201] # each converts to a number, as the executor reads a list
    error        = "false"
    error_type   = 1
    body         = true
    json         = { anything = [1, "x"] }
    body_matches = "^ok"
    log_contains = "started"
    max_duration = "2s"
  }
  assert {
    condition = self.json.done # dynamic: may be a bool
  }
}

invocation "wrong_run_time_arguments" {
  function = function.echo
  enabled  = invocation.fine.status # ERROR: Invalid enabled | enabled must be a bool, not a number
  headers  = invocation.fine.body # ERROR: Invalid headers | must be a map of string, not a string
  payload_file = invocation.fine.headers # ERROR: Invalid payload_file | must be a string, not a map of string
}
