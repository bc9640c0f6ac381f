package alicloud_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/alicloud"
)

func benchPayload() []byte { return []byte(`{"order":{"sku":"A1","qty":2}}`) }

// BenchmarkInvokeFC3 signs and invokes through the driver against the
// in-process emulator over loopback.
func BenchmarkInvokeFC3(b *testing.B) {
	r := start(b)
	d := alicloud.NewFC3()
	defer d.Close()
	req := &providers.Request{
		Provider: providerVal(r.URL, testAK, testSecret, "", nil),
		Function: functionVal("", "echo", ""), Payload: benchPayload(), Type: providers.TypeSync,
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := d.Invoke(ctx, req)
		if err != nil || res.Status != 200 {
			b.Fatalf("res %+v err %v", res, err)
		}
	}
}

// BenchmarkRawHTTP makes the same call with a plain net/http client. The
// emulator refuses a replayed signature nonce, so each call is signed
// afresh with a new nonce (a counter); the difference to
// BenchmarkInvokeFC3 is the driver's request building and response
// mapping.
func BenchmarkRawHTTP(b *testing.B) {
	r := start(b)
	payload := benchPayload()
	u, _ := url.Parse(r.URL)
	path := "/2023-03-30/functions/echo/invocations"
	hashed := alicloud.SHA256Hex(payload)
	h := map[string]string{
		"host": u.Host, "x-acs-version": "2023-03-30", "x-acs-action": "InvokeFunction",
		"x-acs-date":           time.Now().UTC().Format("2006-01-02T15:04:05Z"),
		"x-acs-content-sha256": hashed, "content-type": "application/octet-stream",
		"x-fc-invocation-type": "Sync", "x-fc-log-type": "None",
	}
	signing := map[string][]string{}
	for k, v := range h {
		signing[k] = []string{v}
	}
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer client.CloseIdleConnections()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n++
		nonce := strconv.Itoa(n)
		signing["x-acs-signature-nonce"] = []string{nonce}
		auth := alicloud.ACS3Authorization(testAK, testSecret, "POST", path, nil, signing, hashed)
		req, _ := http.NewRequest("POST", r.URL+path, bytes.NewReader(payload))
		for k, v := range h {
			if k != "host" {
				req.Header.Set(k, v)
			}
		}
		req.Header.Set("x-acs-signature-nonce", nonce)
		req.Header.Set("Authorization", auth)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, payload) {
			b.Fatalf("status %d body %s", resp.StatusCode, body)
		}
	}
}
