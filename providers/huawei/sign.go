package huawei

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// SDK-HMAC-SHA256, the APIG AK/SK signature as the official Go SDK computes
// it (core/auth/signer/signer.go; PROTOCOLS.md §3.6).
const (
	Algorithm         = "SDK-HMAC-SHA256"
	DateFormat        = "20060102T150405Z"
	HeaderDate        = "X-Sdk-Date"
	HeaderContentHash = "X-Sdk-Content-Sha256"
)

// Escape percent-encodes s keeping only A-Z a-z 0-9 - _ . ~ (upper-case hex).
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '~' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// CanonicalURI escapes each segment of an unescaped path and always ends
// the result with "/".
func CanonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = Escape(s)
	}
	u := strings.Join(segs, "/")
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

// CanonicalQuery sorts keys, and each key's values, escaping both.
func CanonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, Escape(k)+"="+Escape(v))
		}
	}
	return strings.Join(parts, "&")
}

// SignedHeaders is the SDK's choice of headers to sign: every header name
// lower-cased, except content-type* and names containing '_', sorted.
func SignedHeaders(headers map[string]string) []string {
	var out []string
	for k := range headers {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "content-type") || strings.Contains(k, "_") {
			continue
		}
		out = append(out, lk)
	}
	sort.Strings(out)
	return out
}

// CanonicalRequest builds the canonical request over the given signed
// headers; headers maps lower-case names to their values ("host" included
// when signed).
func CanonicalRequest(method, path string, query url.Values, headers map[string][]string, signed []string, payloadHash string) string {
	var ch strings.Builder
	for _, name := range signed {
		vs := append([]string(nil), headers[name]...)
		sort.Strings(vs)
		for _, v := range vs {
			ch.WriteString(name + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	return strings.Join([]string{method, CanonicalURI(path), CanonicalQuery(query), ch.String(), strings.Join(signed, ";"), payloadHash}, "\n")
}

// HexSHA256 is the lower-case hex SHA-256 of b.
func HexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// StringToSign is "SDK-HMAC-SHA256\n<date>\n<hex sha256 of the canonical request>".
func StringToSign(date, canonicalRequest string) string {
	return Algorithm + "\n" + date + "\n" + HexSHA256([]byte(canonicalRequest))
}

// Signature is hex(HMAC-SHA256(secret key, string to sign)).
func Signature(sk, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// AuthorizationValue renders the Authorization header.
func AuthorizationValue(ak string, signed []string, signature string) string {
	return fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s", Algorithm, ak, strings.Join(signed, ";"), signature)
}

// Sign computes the Authorization header for a request the way the SDK
// does: headers are the request's header parameters, which must include
// X-Sdk-Date; path is unescaped. The payload hash is X-Sdk-Content-Sha256
// when that header is set, else the body's SHA-256.
func Sign(ak, sk, method, path string, query url.Values, headers map[string]string, body []byte) (string, error) {
	var date, hash string
	lower := make(map[string][]string, len(headers))
	for k, v := range headers {
		lower[strings.ToLower(k)] = append(lower[strings.ToLower(k)], v)
		switch {
		case strings.EqualFold(k, HeaderDate):
			date = v
		case strings.EqualFold(k, HeaderContentHash):
			hash = v
		}
	}
	if ak == "" || sk == "" {
		return "", errors.New("access key and secret key are required")
	}
	if date == "" {
		return "", errors.New("the " + HeaderDate + " header is required")
	}
	if hash == "" {
		hash = HexSHA256(body)
	}
	signed := SignedHeaders(headers)
	sig := Signature(sk, StringToSign(date, CanonicalRequest(method, path, query, lower, signed, hash)))
	return AuthorizationValue(ak, signed, sig), nil
}

// ParsedAuthorization is a parsed SDK-HMAC-SHA256 Authorization header.
type ParsedAuthorization struct {
	AccessKey     string
	SignedHeaders []string
	Signature     string
}

// ParseAuthorization parses "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex".
func ParseAuthorization(v string) (ParsedAuthorization, error) {
	var p ParsedAuthorization
	rest, ok := strings.CutPrefix(v, Algorithm+" ")
	if !ok {
		return p, errors.New("not " + Algorithm)
	}
	for _, part := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Access":
			p.AccessKey = val
		case "SignedHeaders":
			p.SignedHeaders = strings.Split(val, ";")
		case "Signature":
			p.Signature = val
		}
	}
	if p.AccessKey == "" || len(p.SignedHeaders) == 0 || p.Signature == "" {
		return p, errors.New("Access, SignedHeaders and Signature are required")
	}
	return p, nil
}
