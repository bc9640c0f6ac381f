package watch

import (
	"html/template"
	"net/http"
	"time"
)

// statusPage is the page on /: each invocation's state, since when, its
// last duration and attempts, and its last failure's diagnostic as the
// console shows it (already redacted). Server-rendered, no JavaScript;
// html/template escapes every value.
var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return now.Sub(t).Round(time.Second).String() + " ago"
	},
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"ms": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fnprobe watch: {{.Suite}}</title>
<style>
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .3em .8em; border-bottom: 1px solid #ddd; vertical-align: top; }
.pass { color: #070; } .warn { color: #a60; } .fail, .error { color: #b00; font-weight: bold; } .skip { color: #777; }
pre { background: #f6f6f6; padding: .5em; white-space: pre-wrap; margin: .3em 0; }
</style>
</head>
<body>
<h1>fnprobe watch: {{.Suite}}</h1>
<p>{{if .Ready}}{{len .Rows}} invocation(s). {{else}}The first run has not finished yet. {{end}}Page rendered {{stamp .Now}}.
<a href="metrics">Metrics</a></p>
<table>
<tr><th>invocation</th><th>state</th><th>since</th><th>last duration</th><th>attempts</th><th>function</th><th>provider</th></tr>
{{range .Rows}}<tr>
<td>{{.Invocation}}</td><td class="{{.State}}">{{.State}}</td><td title="{{stamp .Since}}">{{ago $.Now .Since}}</td>
<td>{{ms .LastDuration}}</td><td>{{.LastAttempts}}</td><td>{{.Function}}</td><td>{{.Provider}}</td>
</tr>{{if .LastFailure}}
<tr><td colspan="7">Last failure, {{ago $.Now .LastFailureAt}} ({{stamp .LastFailureAt}}):<pre>{{.LastFailure}}</pre></td></tr>{{end}}
{{end}}</table>
</body>
</html>
`))

// statusHandler serves the status page.
type statusHandler struct {
	suite   string
	metrics *Metrics
	ready   func() bool
	now     func() time.Time
}

func (s *statusHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = statusPage.Execute(w, struct {
		Suite string
		Ready bool
		Now   time.Time
		Rows  []Row
	}{s.suite, s.ready(), s.now(), s.metrics.Rows()})
}
