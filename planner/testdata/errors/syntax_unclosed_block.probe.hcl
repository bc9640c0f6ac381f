invocation "a" { # ERROR: Unclosed configuration block
  function = function.echo
