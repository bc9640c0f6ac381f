package emulator

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

func TestParseConfigWeightedAlias(t *testing.T) {
	src := `
function "canary" {
  versions = ["5", "6", "7", "8"]
  aliases  = { old = "5" }
  alias "live" {
    version                    = "6"
    additional_version_weights = { "7" = 0.1, 8 = 0.25 }
  }
  alias "plain" {
    version = "LATEST"
  }
}
`
	cfg, diags := ParseConfig([]byte(src), "emulator.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	fs := cfg.Functions[0]
	if fs.Aliases["old"] != "5" || fs.Aliases["live"] != "6" || fs.Aliases["plain"] != sim.Latest || len(fs.Aliases) != 3 {
		t.Errorf("aliases %v", fs.Aliases)
	}
	if w := fs.AliasWeights["live"]; len(w) != 2 || w["7"] != 0.1 || w["8"] != 0.25 || len(fs.AliasWeights) != 1 {
		t.Errorf("weights %v", fs.AliasWeights)
	}
	if _, err := sim.New(*cfg); err != nil {
		t.Errorf("sim.New: %v", err)
	}
}

// TestParseConfigWeightedAliasJSON: the block form in HCL's JSON syntax.
func TestParseConfigWeightedAliasJSON(t *testing.T) {
	src := `{"function": {"canary": {"versions": ["6", "7"],
  "alias": {"live": {"version": "6", "additional_version_weights": {"7": 0.5}}}}}}`
	cfg, diags := ParseConfig([]byte(src), "emulator.hcl.json")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if fs := cfg.Functions[0]; fs.Aliases["live"] != "6" || fs.AliasWeights["live"]["7"] != 0.5 {
		t.Errorf("function %+v", fs)
	}
}

// TestParseConfigAliasErrors: each fixture marks with ‸ where the first
// diagnostic must point; the marker is removed before parsing.
func TestParseConfigAliasErrors(t *testing.T) {
	tests := []struct{ name, src, summary string }{
		{"weight above 1", `function "f" {
  versions = ["1", "2"]
  alias "live" {
    version = "1"
    additional_version_weights = { "2" = ‸1.5 }
  }
}`, "Invalid weight"},
		{"negative weight", `function "f" {
  versions = ["1", "2"]
  alias "live" {
    version = "1"
    additional_version_weights = { "2" = ‸-0.1 }
  }
}`, "Invalid weight"},
		{"weight not a number", `function "f" {
  versions = ["1", "2"]
  alias "live" {
    version = "1"
    additional_version_weights = { "2" = ‸"lots" }
  }
}`, "Invalid weight"},
		{"weights above 1 together", `function "f" {
  versions = ["1", "2", "3"]
  alias "live" {
    version = "1"
    additional_version_weights = ‸{ "2" = 0.6, "3" = 0.5 }
  }
}`, "Weights sum to more than 1"},
		{"weighted version undeclared", `function "f" {
  versions = ["1", "2"]
  alias "live" {
    version = "1"
    additional_version_weights = { ‸"9" = 0.1 }
  }
}`, "Weight for an undeclared version"},
		{"LATEST is not weighted", `function "f" {
  versions = ["1"]
  alias "live" {
    version = "1"
    additional_version_weights = { ‸LATEST = 0.1 }
  }
}`, "Weight for an undeclared version"},
		{"own version weighted", `function "f" {
  versions = ["1", "2"]
  alias "live" {
    version = "1"
    additional_version_weights = { ‸"1" = 0.1 }
  }
}`, "Weight for the alias's own version"},
		{"version weighted twice", `function "f" {
  versions = ["1", "2"]
  alias "live" {
    version = "1"
    additional_version_weights = { "2" = 0.1, ‸2 = 0.2 }
  }
}`, "Duplicate weight"},
		{"primary undeclared", `function "f" {
  versions = ["1"]
  alias "live" {
    version = ‸"6"
  }
}`, "Alias to an undeclared version"},
		{"version missing", `function "f" {
  versions = ["1", "2"]
  alias "live" ‸{
    additional_version_weights = { "2" = 0.1 }
  }
}`, "Missing required argument"},
		{"unknown attribute", `function "f" {
  versions = ["1", "2"]
  alias "live" {
    version = "1"
    ‸routing = { "2" = 0.1 }
  }
}`, "Unsupported argument"},
		{"attribute and block", `function "f" {
  versions = ["1", "2"]
  aliases  = { live = "2" }
  alias ‸"live" {
    version = "1"
  }
}`, "Duplicate alias"},
		{"block twice", `function "f" {
  versions = ["1", "2"]
  alias "live" {
    version = "1"
  }
  alias ‸"live" {
    version = "2"
  }
}`, "Duplicate alias"},
		{"no label", `function "f" {
  versions = ["1"]
  alias ‸{
    version = "1"
  }
}`, "Missing name for alias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, pos := marked(t, tt.src)
			_, diags := ParseConfig([]byte(src), "emulator.hcl")
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
			if got := fmt.Sprintf("%s:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column); got != pos {
				t.Errorf("at %s, want %s (%s)", got, pos, diags.Error())
			}
		})
	}
}

// marked removes the one ‸ in src and returns the position it marked, as
// emulator.hcl:line:column (fixtures are ASCII, so columns are bytes).
func marked(t *testing.T, src string) (string, string) {
	t.Helper()
	const marker = "‸"
	i := strings.Index(src, marker)
	if i < 0 || strings.Count(src, marker) != 1 {
		t.Fatalf("fixture needs exactly one %s", marker)
	}
	before := src[:i]
	line := strings.Count(before, "\n") + 1
	col := i - strings.LastIndex(before, "\n")
	return before + src[i+len(marker):], fmt.Sprintf("emulator.hcl:%d:%d", line, col)
}
