provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "a" {
  function = function.echo
  timeout  = "10 seconds" # ERROR: Invalid timeout | must be a duration such as "500ms" or "30s", not "10 seconds"

  retry {
    attempts = 0 # ERROR: Invalid retry attempts | at least 1
    backoff  = "-1s" # ERROR: Invalid retry backoff | must be a positive duration
  }
}

invocation "b" {
  function = function.echo
  timeout  = 30 # ERROR: Invalid timeout | must be a duration string

  expect {
    max_duration = "fast" # ERROR: Invalid expect.max_duration | not "fast"
  }
}

invocation "c" {
  function = function.echo

  expect {
    max_duration = 5 # ERROR: Invalid expect.max_duration | must be a duration string
    body_matches = "([a-z]+" # ERROR: Invalid expect.body_matches | not a valid regular expression
  }
}

invocation "d" {
  function = function.echo

  expect {
    # Read from the answer: checked only when it arrives.
    max_duration = self.json.limit
    body_matches = self.json.pattern
  }
}
