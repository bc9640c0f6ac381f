package alicloud

import (
	"strings"
	"testing"
)

func TestFCSignatureVectors(t *testing.T) {
	tests := []struct {
		name, secret, sts, want string
	}{
		{
			name:   "fc-go-sdk TestGetSignature",
			secret: "S9MWOBG0AOWHSO9HPASP216QOPHT5YR4NLH3A",
			sts:    "GET\nef5b43a0fe1d5b401b62c3ba33a7a3d6\ntext/json\n1583221068\nx-fc-trace-id:trace-id\n/2016-08-15/proxy/service.LATEST/func/abc 123\na=123 45\nx-fc-access-key-id=akID\nx-fc-expires=1583221068\nx-fc-security-token=stsToken\nx=456\nx=xyz",
			want:   "QFdNhz0Dl+onUM/MvpX940WFH3H8OHayZHbby1c01aI=",
		},
		{
			name:   "self-made invoke",
			secret: "secret",
			sts:    "POST\n\napplication/octet-stream\nMon, 02 Jan 2006 15:04:05 GMT\nx-fc-account-id:123456\nx-fc-invocation-type:Sync\n/2016-08-15/services/svc.LATEST/functions/fn/invocations",
			want:   "JNqkL0YrsAv3FqEACI3x4iDaBSbP59ydvy1c/Zlhdqo=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FCSignature(tt.secret, tt.sts); got != tt.want {
				t.Errorf("FCSignature = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestFCStringToSign(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		headers  map[string]string
		resource string
		want     string
	}{
		{
			name:   "self-made invoke",
			method: "POST",
			headers: map[string]string{
				"Content-Type": "application/octet-stream", "Date": "Mon, 02 Jan 2006 15:04:05 GMT",
				"X-Fc-Invocation-Type": "Sync", "X-Fc-Account-Id": "123456", "User-Agent": "x",
			},
			resource: "/2016-08-15/services/svc.LATEST/functions/fn/invocations",
			want:     "POST\n\napplication/octet-stream\nMon, 02 Jan 2006 15:04:05 GMT\nx-fc-account-id:123456\nx-fc-invocation-type:Sync\n/2016-08-15/services/svc.LATEST/functions/fn/invocations",
		},
		{
			name:   "fc-go-sdk vector with queries",
			method: "GET",
			headers: map[string]string{
				"Content-MD5": "ef5b43a0fe1d5b401b62c3ba33a7a3d6", "Content-Type": "text/json", "Date": "1583221068",
				"X-Fc-Trace-Id": "trace-id",
			},
			resource: FCResource("/2016-08-15/proxy/service.LATEST/func/abc 123", map[string][]string{
				"a": {"123 45"}, "x-fc-access-key-id": {"akID"}, "x-fc-expires": {"1583221068"},
				"x-fc-security-token": {"stsToken"}, "x": {"xyz", "456"},
			}, true),
			want: "GET\nef5b43a0fe1d5b401b62c3ba33a7a3d6\ntext/json\n1583221068\nx-fc-trace-id:trace-id\n/2016-08-15/proxy/service.LATEST/func/abc 123\na=123 45\nx-fc-access-key-id=akID\nx-fc-expires=1583221068\nx-fc-security-token=stsToken\nx=456\nx=xyz",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FCStringToSign(tt.method, tt.headers, tt.resource); got != tt.want {
				t.Errorf("FCStringToSign =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestACS3Vector(t *testing.T) {
	const hash = "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23"
	query := map[string]string{"test": "ok", "empty": ""}
	headers := map[string][]string{"x-acs-test": {"http"}, "x-acs-TEST": {"https"}}
	canon, _ := ACS3CanonicalRequest("", "", query, headers, hash)
	if want := "\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n" + hash; canon != want {
		t.Errorf("canonical request =\n%q\nwant\n%q", canon, want)
	}
	got := ACS3Authorization("acesskey", "secret", "", "", query, headers, hash)
	want := "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"
	if got != want {
		t.Errorf("ACS3Authorization =\n%s\nwant\n%s", got, want)
	}
	a, err := ParseACS3(got)
	if err != nil || a.AccessKeyID != "acesskey" || strings.Join(a.SignedHeaders, ";") != "x-acs-test" {
		t.Errorf("ParseACS3 = %+v, %v", a, err)
	}
}

func TestParseAuthorizationErrors(t *testing.T) {
	tests := []struct {
		name, header string
		fc           bool
	}{
		{"acs3 wrong scheme", "FC a:b", false},
		{"acs3 no signature", "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host", false},
		{"acs3 garbage", "ACS3-HMAC-SHA256 zzz", false},
		{"fc wrong scheme", "ACS3-HMAC-SHA256 Credential=a", true},
		{"fc no colon", "FC abc", true},
		{"fc empty sig", "FC abc:", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.fc {
				_, _, err = ParseFC(tt.header)
			} else {
				_, err = ParseACS3(tt.header)
			}
			if err == nil {
				t.Errorf("no error for %q", tt.header)
			}
		})
	}
}
