package cli_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/providers/huawei"
	"github.com/fnprobe/fnprobe/providers/tencent"
)

var update = flag.Bool("update", false, "rewrite the expected output sections of testdata/e2e/*.txtar")

// TestEndToEnd runs each testdata/e2e/*.txtar case through the real command
// line, with the real drivers, against real servers on loopback:
//
//	-- args --       the command line (one line, shell-like words)
//	-- env --        NAME=VALUE lines visible to env() and FNPROBE_VAR_*
//	                 ($WORK in a value is the case's directory)
//	-- emulator.hcl  if present, an emulator is started with this config
//	-- stdin --      if present, the command's standard input
//	-- exit --       the expected exit code
//	-- stdout --     the expected stdout, normalised (durations, paths)
//	-- stderr --     the expected stderr, normalised
//	-- FILE --       any other section is a file of the suite
//
// The suite sees FNPROBE_TEST_HTTP (the loopback HTTP server below) and
// FNPROBE_TEST_EMULATOR (the emulator's URL) in its environment. Run with
// -update to rewrite the expected sections.
func TestEndToEnd(t *testing.T) {
	files, err := filepath.Glob("testdata/e2e/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	httpURL := startHTTP(t)
	isolateCredentials(t)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runCase(t, file, httpURL)
		})
	}
}

// isolateCredentials hides the credentials of the machine running the tests
// from the drivers that read them themselves (plan shows their source): an
// empty home directory, no credential variables, no metadata service.
func isolateCredentials(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for _, name := range []string{
		huawei.EnvAccessKey, huawei.EnvSecretKey, huawei.EnvSecurityToken, huawei.EnvProjectID, huawei.EnvCredentialsFile,
		huawei.EnvIdpID, huawei.EnvIDTokenFile, huawei.EnvPodIdentityURI, huawei.EnvPodIdentityTokenFile,
		tencent.EnvAccessToken, tencent.EnvAccessTokenFile,
	} {
		t.Setenv(name, "")
	}
	t.Setenv(huawei.EnvMetadataDisabled, "true")
}

func runCase(t *testing.T, file, httpURL string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sections := map[string]string{}
	for _, f := range ar.Files {
		if strings.HasPrefix(f.Name, "want/") {
			sections[f.Name] = string(f.Data)
			continue
		}
		switch f.Name {
		case "args", "env", "stdin", "exit", "stdout", "stderr", "emulator.hcl":
			sections[f.Name] = string(f.Data)
			if f.Name != "emulator.hcl" {
				continue
			}
		}
		p := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(f.Name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(p, f.Data, mode); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"FNPROBE_TEST_HTTP": httpURL}
	if src, ok := sections["emulator.hcl"]; ok {
		cfg, diags := emulator.ParseConfig([]byte(src), filepath.Join(dir, "emulator.hcl"))
		if diags.HasErrors() {
			t.Fatalf("emulator config: %s", diags.Error())
		}
		em, err := emulator.Start(*cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(em.Close)
		env["FNPROBE_TEST_EMULATOR"] = em.URL
	}
	for _, line := range strings.Split(sections["env"], "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			env[k] = strings.ReplaceAll(v, "$WORK", dir)
		}
	}
	args := strings.Fields(sections["args"])
	for i, a := range args {
		if a == "$WORK" || strings.HasPrefix(a, "$WORK/") {
			args[i] = dir + strings.TrimPrefix(a, "$WORK")
		}
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := cli.Main(ctx, args, cli.Env{
		Stdin:    strings.NewReader(sections["stdin"]),
		Stdout:   &stdout,
		Stderr:   &stderr,
		Getenv:   func(k string) string { return env[k] },
		Registry: cli.NewRegistry(),
		Width:    -1, // paths and ports vary in length: wrapping would too
	})
	got := map[string]string{
		"exit":   strconv.Itoa(code) + "\n",
		"stdout": normalize(stdout.String(), dir, env),
		"stderr": normalize(stderr.String(), dir, env),
	}
	var compare []string
	for name := range sections {
		if strings.HasPrefix(name, "want/") {
			b, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(name, "want/")))
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			got[name] = normalize(string(b), dir, env)
			compare = append(compare, name)
		}
	}
	if *update {
		for i := range ar.Files {
			if g, ok := got[ar.Files[i].Name]; ok {
				ar.Files[i].Data = []byte(g)
				delete(got, ar.Files[i].Name)
			}
		}
		for _, name := range []string{"exit", "stdout", "stderr"} {
			if g, ok := got[name]; ok && g != "" {
				ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(g)})
			}
		}
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, name := range append([]string{"exit", "stdout", "stderr"}, compare...) {
		if want := sections[name]; want != got[name] {
			t.Errorf("%s differs (run with -update to accept):\n--- want\n%s\n--- got\n%s", name, want, got[name])
		}
	}
}

var (
	durationRE  = regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|us|ms|s|m)\b`)
	tsRE        = regexp.MustCompile(`"@timestamp":"[^"]*"`)
	jsonDurRE   = regexp.MustCompile(`"(duration_ms|wait_ms)":[0-9.e+-]+`)
	selfDurRE   = regexp.MustCompile(`(duration_ms is )[0-9.]+`)
	requestIDRE = regexp.MustCompile(`("request_id":)"[0-9a-f-]{8,}"`)
	junitTimeRE = regexp.MustCompile(`\b(time|timestamp)="[^"]*"`)
	loopbackRE  = regexp.MustCompile(`\b127\.0\.0\.1:[0-9]{5}\b`)                // -emulate's (ephemeral) port
	statRE      = regexp.MustCompile(`\b(min|mean|p50|p90|p95|p99|max)=[0-9.]+`) // sample summaries
	rateRE      = regexp.MustCompile(`\b[0-9]+(\.[0-9]+)?/s\b`)
	httpDateRE  = regexp.MustCompile(`(< Date: |"name":"Date","value":"|"date":")[^"\n]*`)
)

// normalize makes output comparable across runs: durations, timestamps,
// temporary paths and loopback ports.
func normalize(s, dir string, env map[string]string) string {
	s = strings.ReplaceAll(s, dir, "$WORK")
	for k, v := range env {
		if strings.HasPrefix(k, "FNPROBE_TEST_") && v != "" {
			s = strings.ReplaceAll(s, v, "$"+k)
		}
	}
	s = loopbackRE.ReplaceAllString(s, "127.0.0.1:PORT")
	s = tsRE.ReplaceAllString(s, `"@timestamp":"T"`)
	s = jsonDurRE.ReplaceAllString(s, `"$1":D`)
	s = selfDurRE.ReplaceAllString(s, "${1}D")
	s = requestIDRE.ReplaceAllString(s, `$1"ID"`)
	s = statRE.ReplaceAllString(s, "${1}=N")
	s = rateRE.ReplaceAllString(s, "R/s")
	s = durationRE.ReplaceAllString(s, "Dms")
	s = strings.ReplaceAll(s, "<Dms", "Dms")
	s = junitTimeRE.ReplaceAllString(s, `$1="T"`)
	s = httpDateRE.ReplaceAllString(s, "${1}DATE")
	return sortProgress(s)
}

// sortProgress sorts the live progress lines at the top of human output:
// concurrent invocations interleave them in any order.
func sortProgress(s string) string {
	lines := strings.SplitAfter(s, "\n")
	n := 0
	for n < len(lines) && strings.HasPrefix(lines[n], "invocation.") {
		n++
	}
	sort.Strings(lines[:n])
	return strings.Join(lines, "")
}

// startHTTP serves a few endpoints on loopback for http provider suites:
//
//	/echo          answers the request body, with its content type
//	/status/N      answers status N with a JSON body
//	/flaky/KEY/N   answers 429 (Retry-After: 0) N times per KEY, then 200
//	/close         closes the connection without answering
//	/garbage       answers bytes that are not HTTP
//	/hang          never answers (until the client gives up)
//	/reflect/...   answers {"method", "path" (escaped), "query"} of the request
//	/jobs/ID       answers {"state":"running"} twice per ID, then "done"
func startHTTP(t *testing.T) string {
	var mu sync.Mutex
	counts := map[string]int{}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.Header().Set("X-Request-Id", "req-echo")
		w.Write(body)
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"status":%d}`, code)
	})
	mux.HandleFunc("/flaky/{key}/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		mu.Lock()
		counts[r.PathValue("key")]++
		c := counts[r.PathValue("key")]
		mu.Unlock()
		if c <= n {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprintf(w, `{"calls":%d}`, c)
	})
	mux.HandleFunc("/reflect/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"method":%q,"path":%q,"query":%q,"id":"ord 42/?#"}`, r.Method, r.URL.EscapedPath(), r.URL.RawQuery)
	})
	mux.HandleFunc("/jobs/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		counts["job/"+r.PathValue("id")]++
		c := counts["job/"+r.PathValue("id")]
		mu.Unlock()
		state := "running"
		if c > 2 {
			state = "done"
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"state":%q,"polls":%d}`, r.PathValue("id"), state, c)
	})
	hijack := func(w http.ResponseWriter, then func(net.Conn)) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		then(conn)
	}
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		hijack(w, func(c net.Conn) { c.Close() })
	})
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, r *http.Request) {
		hijack(w, func(c net.Conn) { c.Write([]byte("\x00\x01 this is not HTTP\r\n\r\n")); c.Close() })
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
