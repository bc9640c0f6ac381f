package emulator

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers/alicloud"
)

// parseLogLine splits a log/slog text line into its key=value fields.
func parseLogLine(t *testing.T, line string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for line != "" {
		k, rest, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("malformed log line near %q", line)
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				t.Fatalf("bad quoting in %q", rest)
			}
			v, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			v, rest, _ = strings.Cut(rest, " ")
			rest = " " + rest
		}
		out[k] = v
		line = strings.TrimPrefix(rest, " ")
	}
	return out
}

// TestAccessLog: one line per request with method, path, provider,
// function, verdict, status, the cloud's code, request id and duration —
// and never a secret, token, signature, query string or body.
func TestAccessLog(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Functions = append(cfg.Functions, sim.FunctionSpec{Name: "broken", Fault: sim.Fault{ErrorRate: 1}})
	s, err := NewServer(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Env().Close()
	var log bytes.Buffer
	s.SetAccessLog(sim.NewAccessLog(&log))

	const secretBody = "body-that-must-not-be-logged"
	now := time.Now()
	fc3 := func(fn, body string) *http.Request {
		return httptest.NewRequest(http.MethodPost, "http://emulator.test/2023-03-30/functions/"+fn+"/invocations?x-fc-signature=query-secret", strings.NewReader(body))
	}
	signed := func(fn, body string) *http.Request {
		r := fc3(fn, body)
		signACS3(r, demoAK, demoSecret, alicloud.SHA256Hex([]byte(body)), now)
		return r
	}
	replayed := signed("echo", secretBody)
	tooLarge := signed("echo", "")
	tooLarge.Body = io.NopCloser(io.LimitReader(zeros{}, alicloud.SyncPayloadLimit+1))
	tooLarge.ContentLength = alicloud.SyncPayloadLimit + 1
	mismatch := fc3("echo", secretBody)
	signACS3(mismatch, demoAK, demoSecret, alicloud.SHA256Hex([]byte("other")), now)
	unknown := fc3("echo", secretBody)
	signACS3(unknown, "nobody", demoSecret, alicloud.SHA256Hex([]byte(secretBody)), now)
	badSig := fc3("echo", secretBody)
	signACS3(badSig, demoAK, "wrong", alicloud.SHA256Hex([]byte(secretBody)), now)
	skewed := fc3("echo", secretBody)
	signACS3(skewed, demoAK, demoSecret, alicloud.SHA256Hex([]byte(secretBody)), now.Add(-time.Hour))
	tcb := httptest.NewRequest(http.MethodPost, "http://emulator.test/v1/functions/echo", strings.NewReader(`{"k":"`+secretBody+`"}`))
	tcb.Header.Set("Authorization", "Bearer "+demoToken)
	tcbAnon := httptest.NewRequest(http.MethodPost, "http://emulator.test/v1/functions/echo", strings.NewReader(`{}`))

	tests := []struct {
		name string
		req  *http.Request
		want map[string]string
	}{
		{"ok", replayed, map[string]string{"provider": "alicloud_fc3", "function": "echo", "verdict": "ok", "status": "200", "code": ""}},
		{"replay", replayed, map[string]string{"verdict": "replay", "status": "400", "code": "SignatureNonceUsed"}},
		{"bad signature", badSig, map[string]string{"verdict": "signature-mismatch", "status": "403", "code": "SignatureNotMatch"}},
		{"unknown key", unknown, map[string]string{"verdict": "unknown-key", "status": "403", "code": "InvalidAccessKeyID"}},
		{"skew", skewed, map[string]string{"verdict": "skew", "status": "403", "code": "RequestTimeTooSkewed"}},
		{"body mismatch", mismatch, map[string]string{"verdict": "body-mismatch", "status": "400", "code": "InvalidArgument"}},
		{"too large", tooLarge, map[string]string{"verdict": "too-large", "status": "400", "code": "EntityTooLarge"}},
		{"fault", signed("broken", "x"), map[string]string{"function": "broken", "verdict": "fault", "status": "500", "code": "InternalServerError"}},
		{"bearer ok", tcb, map[string]string{"provider": "tencent_cloudbase", "function": "echo", "verdict": "ok", "status": "200"}},
		{"anonymous", tcbAnon, map[string]string{"verdict": "unauthenticated", "status": "401", "code": "MISSING_CREDENTIALS"}},
		{"no API", httptest.NewRequest(http.MethodGet, "http://emulator.test/nowhere", nil), map[string]string{"provider": "", "function": "", "verdict": "not-found", "status": "404"}},
	}
	for _, tt := range tests {
		// The same request is sent again for "replay": give it its body back.
		if tt.name == "replay" {
			tt.req.Body = io.NopCloser(strings.NewReader(secretBody))
		}
		before := log.Len()
		w := httptest.NewRecorder()
		s.ServeHTTP(w, tt.req)
		line := strings.TrimSuffix(log.String()[before:], "\n")
		if strings.Count(line, "\n") != 0 || line == "" {
			t.Fatalf("%s: want one log line, got %q", tt.name, line)
		}
		got := parseLogLine(t, line)
		want := map[string]string{"level": "INFO", "msg": "request", "method": tt.req.Method, "path": tt.req.URL.Path}
		for k, v := range tt.want {
			want[k] = v
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s=%q, want %q (line %q)", tt.name, k, got[k], v, line)
			}
		}
		if got["request_id"] == "" && got["status"] != "404" || !regexp.MustCompile(`^[0-9.]+[µnm]?s$`).MatchString(got["duration"]) {
			t.Errorf("%s: request_id %q duration %q", tt.name, got["request_id"], got["duration"])
		}
		if strings.HasPrefix(tt.name, "bad") && w.Code/100 == 2 {
			t.Errorf("%s answered %d", tt.name, w.Code)
		}
	}
	all := log.String()
	never := []string{demoSecret, demoToken, secretBody, "query-secret", "x-fc-signature", "Authorization", "Bearer", "Signature="}
	for _, r := range []*http.Request{replayed, badSig, unknown, skewed} {
		_, sig, _ := strings.Cut(r.Header.Get("Authorization"), "Signature=")
		never = append(never, sig, r.Header.Get("x-acs-signature-nonce"))
	}
	for _, s := range never {
		if s != "" && strings.Contains(all, s) {
			t.Errorf("the access log contains %q:\n%s", s, all)
		}
	}
}
