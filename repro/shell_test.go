package repro

import (
	"os/exec"
	"strings"
	"testing"
)

// hostile are strings a suite may hold in names, keys, headers and paths.
var hostile = []string{
	"plain",
	"",
	" ",
	"it's",
	`"double"`,
	"$(touch /tmp/pwned)",
	"`id`",
	"${HOME}",
	"$HOME",
	"a\nb",
	"trailing\n",
	"\n",
	"tab\there",
	"esc\x1b[31mred",
	"bell\a",
	"cr\rlf",
	"del\x7f",
	"\xff\xfeinvalid",
	"日本語",
	"emoji 🎉",
	"rtl\u202eoverride",
	"\ufffd",
	"back\\slash",
	"glob*?[a]",
	"~user",
	"A=b",
	"-flag=it's $x",
	"-n",
	"semi;colon&amp|pipe",
	"'",
	"''",
	"invocation.ping[\"k\\\"$(x)\"]",
}

// shellArgv runs line as the arguments of printf in sh and returns the
// argv the shell built, with env set.
func shellArgv(t *testing.T, line string, env []string) []string {
	t.Helper()
	cmd := exec.Command("sh", "-c", `printf '%s\000' `+line)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", line, err)
	}
	s := string(out)
	if !strings.HasSuffix(s, "\x00") {
		t.Fatalf("sh -c %q: output %q does not end with NUL", line, s)
	}
	return strings.Split(strings.TrimSuffix(s, "\x00"), "\x00")
}

func TestQuoteShellRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for _, s := range hostile {
		// printf's first argument is its format: put a fixed word first.
		words := []Word{Lit("x"), Lit(s)}
		line := Line(words)
		got := shellArgv(t, line, nil)
		if len(got) != 2 || got[1] != s {
			t.Errorf("%q rendered as %s: the shell saw %q", s, line, got)
		}
		for _, r := range Quote(s) {
			if r != '\n' && r != '\t' && !raw(r) {
				t.Errorf("Quote(%q) = %q holds a raw control character %U", s, Quote(s), r)
			}
		}
	}
}

func TestSecretsWordShell(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	secrets := NewSecrets(map[string]string{
		"s3cr'et$(x)`y`\n": "FNPROBE_VAR_token",
		"other-secret":     "FNPROBE_VAR_my-token", // no shell name: FNPROBE_VAR_my_token
		"ab":               "SHORT",                // too short: never replaced
	})
	env := []string{"FNPROBE_VAR_token=s3cr'et$(x)`y`\n", "FNPROBE_VAR_my_token=other-secret"}
	for _, tc := range []struct{ in string }{
		{"Bearer s3cr'et$(x)`y`\n"},
		{"s3cr'et$(x)`y`\nother-secret"},
		{"-var=token=other-secret"},
		{"no secret ab here"},
	} {
		w := secrets.Word(tc.in)
		line := Line([]Word{Lit("x"), w})
		if strings.Contains(line, "s3cr") || strings.Contains(line, "other-secret") {
			t.Errorf("%q rendered as %s shows a secret", tc.in, line)
		}
		got := shellArgv(t, line, env)
		if want := tc.in; len(got) != 2 || got[1] != want {
			t.Errorf("%q rendered as %s: the shell saw %q", tc.in, line, got)
		}
	}
}

func TestQuoteFlag(t *testing.T) {
	for in, want := range map[string]string{
		`-target=invocation.ping["k"]`: `-target='invocation.ping["k"]'`,
		"-var=a=b":                     "-var=a=b",
		"-var=a=b c":                   "-var='a=b c'",
		"-x=":                          "-x=",
		"x=y":                          "x=y",
		"=y":                           "'=y'",
		"X-Fc-Log-Type=Tail":           "X-Fc-Log-Type=Tail",
	} {
		if got := Line([]Word{Lit("fnprobe"), Lit(in)}); got != "fnprobe "+want {
			t.Errorf("%q: got %s, want fnprobe %s", in, got, want)
		}
	}
	// As the first word, NAME=VALUE would be an assignment: quoted whole.
	if got := Line([]Word{Lit("A=b")}); got != "'A=b'" {
		t.Errorf("first word A=b: got %s", got)
	}
}
