package http

import (
	"context"
	"fmt"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/zclconf/go-cty/cty"
)

var _ providers.Describer = (*Driver)(nil)

func TestAppendPath(t *testing.T) {
	cases := []struct {
		base, path, want string
	}{
		{"https://api/orders", "/ord-42", "https://api/orders/ord-42"},
		{"https://api/orders", "ord-42", "https://api/orders/ord-42"},
		{"https://api/orders/", "/ord-42", "https://api/orders/ord-42"},
		{"https://api/orders", "a/b/", "https://api/orders/a/b/"},
		{"https://api/orders", "", "https://api/orders"},
		{"https://api/orders?x=1", "7", "https://api/orders/7?x=1"},
		{"https://api/v1/a%2Fb", "c", "https://api/v1/a%2Fb/c"},
		{"https://api/orders", "a b?c#d%e", "https://api/orders/a%20b%3Fc%23d%25e"},
		{"https://api/orders", "ü/x;y", "https://api/orders/%C3%BC/x%3By"},
		{"https://api/orders", "..a/.b", "https://api/orders/..a/.b"},
		{"https://api", "x", "https://api/x"},
	}
	for _, c := range cases {
		base, err := url.Parse(c.base)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendPath(base, c.path)
		if err != nil {
			t.Errorf("appendPath(%q, %q): %v", c.base, c.path, err)
			continue
		}
		if got.String() != c.want {
			t.Errorf("appendPath(%q, %q) = %q, want %q", c.base, c.path, got, c.want)
		}
		if c.base == "https://api/orders" && base.String() != c.base {
			t.Errorf("appendPath changed its base to %q", base)
		}
	}
}

func TestAppendPathRefusesClimbing(t *testing.T) {
	base, _ := url.Parse("https://api/orders")
	for _, p := range []string{"..", "/../admin", "a/../../b", ".", "a/./b", "a//b", "/", "//"} {
		if got, err := appendPath(base, p); err == nil {
			t.Errorf("appendPath(%q) = %q, want an error", p, got)
		}
	}
}

// TestAddressingOverHTTP sends path, query and method to a real server and
// checks what arrived.
func TestAddressingOverHTTP(t *testing.T) {
	type seen struct{ method, rawPath, path, query string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- seen{r.Method, r.URL.EscapedPath(), r.URL.Path, r.URL.RawQuery}
	}))
	defer srv.Close()
	d := newDriver(t)
	req := request(t, d, "", urlAttr(srv.URL+"/orders?v=1&page=9")+`method = "POST"`)
	req.Path = "/ord 42/?x"
	req.Query = map[string]string{"page": "2", "q": "a&b"}
	req.Method = "get"
	res, err := d.Invoke(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	res.Free()
	s := <-got
	want := seen{"GET", "/orders/ord%2042/%3Fx", "/orders/ord 42/?x", "page=2&q=a%26b&v=1"}
	if s != want {
		t.Errorf("server saw %+v, want %+v", s, want)
	}
	if tg := d.Describe(req); tg.Method != "GET" || !strings.HasSuffix(tg.Endpoint, "/orders/ord%2042/%3Fx?page=2&q=a%26b&v=1") {
		t.Errorf("Describe = %+v", tg)
	}
}

func TestAddressingBadPathIsPermanent(t *testing.T) {
	d := newDriver(t)
	req := request(t, d, "", urlAttr("http://127.0.0.1:1/orders"))
	req.Path = "../admin"
	_, err := d.Invoke(context.Background(), req)
	if err == nil || providers.IsPermanent(err) == nil || !strings.Contains(err.Error(), "climb above") {
		t.Fatalf("err = %v, want a permanent error about climbing", err)
	}
}

// TestAddressCache: a plain call's address is computed once per function
// block and shared; calls with a run-time path or query are not cached;
// the cache stops growing at maxCachedAddrs.
func TestAddressCache(t *testing.T) {
	fn := func(u, method string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"url": cty.StringVal(u), "method": cty.StringVal(method)})
	}
	prov := cty.ObjectVal(map[string]cty.Value{"base_url": cty.StringVal("https://api.example.com/v1/")})
	var c addrCache
	for i := 0; i < 3; i++ {
		target, str, method, err := c.address(&providers.Request{Provider: prov, Function: fn("orders", "post")})
		if err != nil || str != "https://api.example.com/v1/orders" || method != "POST" || target.String() != str {
			t.Fatalf("address = %v %q %q %v", target, str, method, err)
		}
	}
	if _, str, method, _ := c.address(&providers.Request{Provider: prov, Function: fn("orders", "post"), Method: "GET"}); str != "https://api.example.com/v1/orders" || method != "GET" {
		t.Errorf("method override: %q %q", str, method)
	}
	if _, str, _, _ := c.address(&providers.Request{Provider: prov, Function: fn("orders", "post"), Path: "42", Query: map[string]string{"a": "b"}}); str != "https://api.example.com/v1/orders/42?a=b" {
		t.Errorf("path and query: %q", str)
	}
	if n := len(c.m); n != 2 {
		t.Errorf("%d cached addresses, want 2 (path and query calls are not cached)", n)
	}
	if _, _, _, err := c.address(&providers.Request{Provider: prov, Function: fn("http://[::1", "")}); err == nil {
		t.Error("a bad URL must stay an error")
	}
	for i := 0; i < maxCachedAddrs+10; i++ {
		c.address(&providers.Request{Provider: prov, Function: fn(fmt.Sprintf("f%d", i), "")})
	}
	if n := len(c.m); n != maxCachedAddrs {
		t.Errorf("%d cached addresses, want the cap %d", n, maxCachedAddrs)
	}
}
