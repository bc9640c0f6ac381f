package cli

import (
	"fmt"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	lines := func(n int, change map[int]string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			if c, ok := change[i]; ok {
				b.WriteString(c)
				continue
			}
			fmt.Fprintf(&b, "line %d\n", i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, a, b, want string
	}{
		{name: "equal", a: "x\n", b: "x\n", want: ""},
		{name: "one change", a: "a\nb\nc\n", b: "a\nB\nc\n", want: "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{name: "insertion into empty", a: "", b: "x\n", want: "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"},
		{name: "no final newline", a: "a\nb", b: "a\nb\n", want: "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
		{
			name: "two hunks",
			a:    lines(20, nil),
			b:    lines(20, map[int]string{2: "two\n", 18: ""}),
			want: "--- a\n+++ b\n" +
				"@@ -1,5 +1,5 @@\n line 1\n-line 2\n+two\n line 3\n line 4\n line 5\n" +
				"@@ -15,6 +15,5 @@\n line 15\n line 16\n line 17\n-line 18\n line 19\n line 20\n",
		},
		{
			name: "close changes share a hunk",
			a:    lines(10, nil),
			b:    lines(10, map[int]string{3: "three\n", 8: "eight\n"}),
			want: "--- a\n+++ b\n@@ -1,10 +1,10 @@\n line 1\n line 2\n-line 3\n+three\n line 4\n line 5\n line 6\n line 7\n-line 8\n+eight\n line 9\n line 10\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := unifiedDiff("a", "b", tc.a, tc.b); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
