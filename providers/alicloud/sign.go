package alicloud

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"sort"
	"strings"
)

// ACS3 is the signature algorithm name of Alibaba Cloud's V3 signature.
const ACS3 = "ACS3-HMAC-SHA256"

// EmptySHA256 is the hex SHA-256 of an empty body.
const EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// FCStringToSign builds the string-to-sign of the "FC" scheme (API
// 2016-08-15), as fc-go-sdk's GetSignature does: headers is the request's
// header map (any case); every x-fc-* header is signed, lower-cased and
// sorted; resource is the unescaped path (plus query lines for HTTP
// triggers, see FCResource).
func FCStringToSign(method string, headers map[string]string, resource string) string {
	var md5v, ctype, date string
	type kv struct{ k, v string }
	var fc []kv
	for k, v := range headers {
		lk := strings.ToLower(k)
		switch {
		case lk == "content-md5":
			md5v = v
		case lk == "content-type":
			ctype = v
		case lk == "date":
			date = v
		case strings.HasPrefix(lk, "x-fc-"):
			fc = append(fc, kv{lk, v})
		}
	}
	sort.Slice(fc, func(i, j int) bool { return fc[i].k < fc[j].k })
	var b strings.Builder
	b.WriteString(method + "\n" + md5v + "\n" + ctype + "\n" + date + "\n")
	for _, h := range fc {
		b.WriteString(h.k + ":" + h.v + "\n")
	}
	b.WriteString(resource)
	return b.String()
}

// FCSignature is base64(HMAC-SHA256(secret, stringToSign)).
func FCSignature(secret, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// FCResource is the canonicalized resource of the FC scheme: the unescaped
// path, and for HTTP-trigger and signed-URL requests (withQuery) a "\n"
// followed by the sorted "k=v" query lines (a key without values is "k").
func FCResource(unescapedPath string, query url.Values, withQuery bool) string {
	if !withQuery {
		return unescapedPath
	}
	var params []string
	for k, vs := range query {
		if len(vs) == 0 {
			params = append(params, k)
			continue
		}
		for _, v := range vs {
			params = append(params, k+"="+v)
		}
	}
	sort.Strings(params)
	return unescapedPath + "\n" + strings.Join(params, "\n")
}

// FCAuthorization is the Authorization header value "FC ak:signature".
func FCAuthorization(accessKeyID, secret, method string, headers map[string]string, resource string) string {
	return "FC " + accessKeyID + ":" + FCSignature(secret, FCStringToSign(method, headers, resource))
}

// ContentMD5 is the hex MD5 that fc-go-sdk sends as Content-MD5.
func ContentMD5(body []byte) string {
	s := md5.Sum(body)
	return hex.EncodeToString(s[:])
}

// SHA256Hex is the lower-case hex SHA-256 of b (x-acs-content-sha256).
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// acs3Escape applies the SDK's post-processing of encoded strings.
func acs3Escape(s string) string {
	s = strings.ReplaceAll(s, "+", "%20")
	s = strings.ReplaceAll(s, "*", "%2A")
	return strings.ReplaceAll(s, "%7E", "~")
}

// PercentEncode encodes one path segment or value as the Alibaba Cloud SDKs
// do (openapi-util GetEncodeParam): url.QueryEscape, then "+"→"%20",
// "*"→"%2A", "%7E"→"~".
func PercentEncode(s string) string { return acs3Escape(url.QueryEscape(s)) }

// ACS3CanonicalRequest builds the ACS3 canonical request exactly as
// openapi-util's GetAuthorization does. path is the request path as sent
// (already percent-encoded); query holds one value per key; headers may
// hold several values per name (any case), which are trimmed, sorted and
// joined with ",". It returns the canonical request and the signed header
// names.
func ACS3CanonicalRequest(method, path string, query map[string]string, headers map[string][]string, hashedPayload string) (string, []string) {
	uri := path
	if uri == "" {
		uri = "/"
	}
	uri = acs3Escape(uri)

	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var q strings.Builder
	for i, k := range keys {
		if i > 0 {
			q.WriteByte('&')
		}
		q.WriteString(k + "=")
		if v := query[k]; v != "" {
			q.WriteString(url.QueryEscape(v))
		}
	}

	vals := make(map[string][]string)
	for k, vs := range headers {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-acs-") && lk != "host" && lk != "content-type" {
			continue
		}
		for _, v := range vs {
			vals[lk] = append(vals[lk], strings.TrimSpace(v))
		}
	}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	var h strings.Builder
	for _, n := range names {
		vs := vals[n]
		sort.Strings(vs)
		h.WriteString(n + ":" + strings.Join(vs, ",") + "\n")
	}
	canon := method + "\n" + uri + "\n" + acs3Escape(q.String()) + "\n" + h.String() + "\n" +
		strings.Join(names, ";") + "\n" + hashedPayload
	return canon, names
}

// ACS3Signature signs a canonical request: hex(HMAC-SHA256(secret,
// "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical)))).
func ACS3Signature(secret, canonicalRequest string) string {
	sts := ACS3 + "\n" + SHA256Hex([]byte(canonicalRequest))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(sts))
	return hex.EncodeToString(m.Sum(nil))
}

// ACS3Authorization returns the Authorization header value for a request,
// as openapi-util's GetAuthorization does.
func ACS3Authorization(accessKeyID, secret, method, path string, query map[string]string, headers map[string][]string, hashedPayload string) string {
	canon, names := ACS3CanonicalRequest(method, path, query, headers, hashedPayload)
	return ACS3 + " Credential=" + accessKeyID + ",SignedHeaders=" + strings.Join(names, ";") +
		",Signature=" + ACS3Signature(secret, canon)
}

// ACS3Auth is a parsed ACS3 Authorization header.
type ACS3Auth struct {
	AccessKeyID   string
	SignedHeaders []string
	Signature     string
}

// ParseACS3 parses "ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..".
func ParseACS3(header string) (ACS3Auth, error) {
	rest, ok := strings.CutPrefix(header, ACS3+" ")
	if !ok {
		return ACS3Auth{}, errors.New("not an " + ACS3 + " authorization")
	}
	var a ACS3Auth
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ACS3Auth{}, errors.New("malformed authorization component")
		}
		switch k {
		case "Credential":
			a.AccessKeyID = v
		case "SignedHeaders":
			if v != "" {
				a.SignedHeaders = strings.Split(v, ";")
			}
		case "Signature":
			a.Signature = v
		}
	}
	if a.AccessKeyID == "" || a.Signature == "" {
		return ACS3Auth{}, errors.New("authorization lacks Credential or Signature")
	}
	return a, nil
}

// ParseFC parses "FC accessKeyID:signature".
func ParseFC(header string) (accessKeyID, signature string, err error) {
	rest, ok := strings.CutPrefix(header, "FC ")
	if !ok {
		return "", "", errors.New("not an FC authorization")
	}
	ak, sig, ok := strings.Cut(rest, ":")
	if !ok || ak == "" || sig == "" {
		return "", "", errors.New("malformed FC authorization")
	}
	return ak, sig, nil
}

// RPCStringToSign builds the string-to-sign of Alibaba Cloud's RPC
// signature (SignatureVersion 1.0, as STS and credentials-go use it):
// METHOD&%2F&percentEncode(k1=v1&k2=v2...), the parameters (every one
// but Signature) sorted by name, each name and value percent-encoded.
func RPCStringToSign(method string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = PercentEncode(k) + "=" + PercentEncode(params[k])
	}
	return method + "&" + PercentEncode("/") + "&" + PercentEncode(strings.Join(parts, "&"))
}

// RPCSignature is base64(HMAC-SHA1(secret + "&", stringToSign)).
func RPCSignature(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
