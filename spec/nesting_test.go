package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/limits"
)

func TestCheckNesting(t *testing.T) {
	n := limits.NestingDepth
	rep := strings.Repeat
	for _, c := range []struct {
		name string
		src  string
		json bool
		// want: "" accepts; else "LINE:COLUMN" where the limit is crossed.
		want string
	}{
		{"parens at the limit", "x = " + rep("(", n) + "1" + rep(")", n), false, ""},
		{"parens over the limit", "x = " + rep("(", n+1) + "1" + rep(")", n+1), false, "1:261"},
		{"100,000 parens", "\nx = " + rep("(", 100000), false, "2:261"},
		{"brackets", "x = " + rep("[", 100000), false, "1:261"},
		{"braces", "x = " + rep("{", 100000), false, "1:261"},
		{"blocks", rep("a {\n", 100000), false, "257:3"},
		{"template sequences", `x = "` + rep("${\"", 100000), false, "1:389"},
		{"heredoc sequences", "x = <<EOT\n" + rep("${", 100000) + "\nEOT\n", false, "2:512"},
		{"brackets in a string", `x = "` + rep("(", 100000) + `"`, false, ""},
		{"escaped sequences", `x = "` + rep("$${", 100000) + `"`, false, ""},
		{"brackets in comments", "# " + rep("[", 1000) + "\n// " + rep("{", 1000) + "\n/* " + rep("(", 1000) + " */\nx = 1", false, ""},
		{"brackets in a heredoc", "x = <<-EOT\n  " + rep("{", 1000) + "\n  EOT\ny = " + rep("(", 10) + rep(")", 10), false, ""},
		{"balanced, many times", rep("x = [[[[(1)]]]]\n", 10000), false, ""},
		{"JSON at the limit", rep("[", n) + rep("]", n), true, ""},
		{"JSON over the limit", rep("[", n+1) + rep("]", n+1), true, "1:257"},
		{"JSON 100,000", `{"a": ` + rep("[", 100000), true, "1:262"},
		{"JSON text in a string", `{"a": "` + rep("(", 100000) + `"}`, true, ""},
		{"JSON template in a string", `{"a": "${` + rep("(", 100000) + `"}`, true, "1:264"},
	} {
		t.Run(c.name, func(t *testing.T) {
			diags := CheckNesting([]byte(c.src), "f", c.json)
			if c.want == "" {
				if diags.HasErrors() {
					t.Fatalf("refused: %s", diags.Error())
				}
				return
			}
			if !diags.HasErrors() {
				t.Fatal("accepted")
			}
			s := diags[0].Subject
			if got := fmt.Sprintf("%d:%d", s.Start.Line, s.Start.Column); got != c.want {
				t.Errorf("at %s, want %s", got, c.want)
			}
			if diags[0].Summary != "Nesting too deep" || s.Filename != "f" {
				t.Errorf("diagnostic %q on %q", diags[0].Summary, s.Filename)
			}
		})
	}
}

// Every configuration file of the project (examples, fixtures, test data)
// passes the scan: it refuses only what no real configuration does.
func TestCheckNestingAcceptsProjectFiles(t *testing.T) {
	seen := 0
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != ".." {
			return filepath.SkipDir
		}
		if strings.HasPrefix(d.Name(), "limits_nesting") {
			return nil // too deep on purpose
		}
		json := strings.HasSuffix(p, ".probe.json")
		if d.IsDir() || !(json || strings.HasSuffix(p, ".hcl")) {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		seen++
		if diags := CheckNesting(src, p, json); diags.HasErrors() {
			t.Errorf("%s", diags.Error())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 20 {
		t.Fatalf("only %d files seen", seen)
	}
}
