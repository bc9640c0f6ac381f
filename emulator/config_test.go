package emulator

import (
	"fmt"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

func TestParseConfig(t *testing.T) {
	src := `
seed = 42
credential "alicloud" {
  access_key_id     = "AK"
  access_key_secret = "SK"
}
function "echo" {
  behavior = "echo"
  service  = "demo"
  versions = ["1", "2"]
  aliases  = { prod = "2" }
  fault {
    latency         = "50ms"
    error_rate      = 0.1
    throttle_rate   = 0.2
    throttle_status = 503
    retry_after     = "1s"
    drop_rate       = 0
    truncate_rate   = 0.05
  }
}
function "nap" {
  behavior = "sleep"
  sleep    = "200ms"
}
function "py" {
  behavior = "command"
  command  = ["python3", "h.py"]
  dir      = "handlers"
}
`
	cfg, diags := ParseConfig([]byte(src), "emulator.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if cfg.Seed != 42 || len(cfg.Credentials) != 1 || cfg.Credentials[0].Secret != "SK" || len(cfg.Functions) != 3 {
		t.Fatalf("cfg %+v", cfg)
	}
	echo := cfg.Functions[0]
	want := sim.Fault{Latency: 50 * time.Millisecond, ErrorRate: 0.1, ThrottleRate: 0.2, ThrottleStatus: 503, RetryAfter: time.Second, TruncateRate: 0.05}
	if echo.Fault != want || echo.Service != "demo" || echo.Aliases["prod"] != "2" || len(echo.Versions) != 2 {
		t.Errorf("echo %+v", echo)
	}
	if cfg.Functions[1].Sleep != 200*time.Millisecond || cfg.Functions[2].Command[1] != "h.py" || cfg.Functions[2].Dir != "handlers" {
		t.Errorf("functions %+v", cfg.Functions)
	}
	if _, err := sim.New(*cfg); err != nil {
		t.Errorf("sim.New: %v", err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, src, summary, pos string
	}{
		{"unknown behavior", "function \"f\" {\n  behavior = \"ech\"\n}\n", "Unknown behavior", "emulator.hcl:2:14"},
		{"bad duration", "function \"f\" {\n  fault {\n    latency = \"5 parsecs\"\n  }\n}\n", "Invalid duration for latency", "emulator.hcl:3:15"},
		{"rate out of range", "function \"f\" {\n  fault { error_rate = 2 }\n}\n", "Invalid value for error_rate", "emulator.hcl:2:24"},
		{"throttle status", "function \"f\" {\n  fault { throttle_status = 500 }\n}\n", "Invalid throttle_status", "emulator.hcl:2:29"},
		{"unknown attribute", "function \"f\" {\n  colour = \"red\"\n}\n", "Unsupported argument", "emulator.hcl:2:3"},
		{"missing secret", "credential \"alicloud\" {\n  access_key_id = \"AK\"\n}\n", "Missing required argument", "emulator.hcl:1:23"},
		{"duplicate function", "function \"f\" {}\nfunction \"f\" {}\n", "Duplicate function", "emulator.hcl:2:10"},
		{"alias to nothing", "function \"f\" {\n  versions = [\"1\"]\n  aliases = { prod = \"3\" }\n}\n", "Alias to an undeclared version", "emulator.hcl:3:13"},
		{"command missing", "function \"f\" {\n  behavior = \"command\"\n}\n", "Missing command", "emulator.hcl:1:1"},
		{"wrong type", "seed = \"x\"\n", "Invalid value for seed", "emulator.hcl:1:8"},
		{"syntax", "function \"f\" {\n", "Unclosed configuration block", "emulator.hcl:1:14"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := ParseConfig([]byte(tt.src), "emulator.hcl")
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			d := diags[0]
			if d.Summary != tt.summary {
				t.Errorf("summary %q, want %q (%s)", d.Summary, tt.summary, diags.Error())
			}
			if d.Subject == nil {
				t.Fatalf("no source range: %s", diags.Error())
			}
			if got := fmt.Sprintf("%s:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column); got != tt.pos {
				t.Errorf("at %s, want %s", got, tt.pos)
			}
		})
	}
}
