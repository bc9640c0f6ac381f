package emulator

import (
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/zclconf/go-cty/cty"
)

func TestParseConfigTokenCredentials(t *testing.T) {
	src := `
credential "huaweicloud" {
  access_key_id     = "HWAK"
  access_key_secret = "HWSK"
  project_id        = "0123456789abcdef0123456789abcdef"
}
credential "huaweicloud" {
  token      = "iam-token"
  project_id = "0123456789abcdef0123456789abcdef"
}
credential "tencent" {
  token = "tcb-token"
}
credential "tencent" {
  token   = "tcb-old"
  expired = true
}
credential "aws" {
  access_key_id     = "AKID"
  access_key_secret = "secret"
  region            = "us-east-1"
  account_id        = "123456789012"
}
`
	cfg, diags := ParseConfig([]byte(src), "emulator.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want := []sim.Credential{
		{Provider: "huaweicloud", AccessKeyID: "HWAK", Secret: "HWSK", ProjectID: "0123456789abcdef0123456789abcdef"},
		{Provider: "huaweicloud", Token: "iam-token", ProjectID: "0123456789abcdef0123456789abcdef"},
		{Provider: "tencent", Token: "tcb-token"},
		{Provider: "tencent", Token: "tcb-old", Expired: true},
		{Provider: "aws", AccessKeyID: "AKID", Secret: "secret", Region: "us-east-1", AccountID: "123456789012"},
	}
	if len(cfg.Credentials) != len(want) {
		t.Fatalf("credentials %+v", cfg.Credentials)
	}
	for i := range want {
		if cfg.Credentials[i] != want[i] {
			t.Errorf("credential %d: %+v, want %+v", i, cfg.Credentials[i], want[i])
		}
	}
	env, err := sim.New(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if c, ok := env.Token("tencent", "tcb-old"); !ok || !c.Expired {
		t.Errorf("token lookup %+v %v", c, ok)
	}
	if _, ok := env.Token("huaweicloud", "tcb-token"); ok {
		t.Errorf("tokens are not scoped by provider")
	}
	if c, ok := env.Credential("aws", "AKID"); !ok || c.Region != "us-east-1" {
		t.Errorf("credential lookup %+v %v", c, ok)
	}
}

// TestParseConfigAlicloudOIDCToken: a token credential of the alicloud
// kind is the OIDC token the emulated STS accepts in AssumeRoleWithOIDC;
// it sits beside access keys without -emulate aiming a driver at it.
func TestParseConfigAlicloudOIDCToken(t *testing.T) {
	src := `
credential "alicloud" {
  token = "oidc-token"
}
credential "alicloud" {
  token   = "oidc-old"
  expired = true
}
credential "alicloud" {
  access_key_id     = "AK"
  access_key_secret = "SK"
}
`
	cfg, diags := ParseConfig([]byte(src), "emulator.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	env, err := sim.New(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if c, ok := env.Token("alicloud", "oidc-token"); !ok || c.Expired {
		t.Errorf("token lookup %+v %v", c, ok)
	}
	if c, ok := env.Token("alicloud", "oidc-old"); !ok || !c.Expired {
		t.Errorf("expired token lookup %+v %v", c, ok)
	}
	a, ok := Aim("alicloud_fc3", cty.ObjectVal(map[string]cty.Value{
		"endpoint": cty.NullVal(cty.String), "access_key_id": cty.NullVal(cty.String),
		"access_key_secret": cty.NullVal(cty.String), "security_token": cty.NullVal(cty.String),
	}), "http://127.0.0.1:1", *cfg)
	if !ok || a.Credential == nil || a.Credential.AccessKeyID != "AK" {
		t.Errorf("aimed at %+v, want the access key", a.Credential)
	}
}

func TestParseConfigCredentialErrors(t *testing.T) {
	tests := []struct{ name, src, summary string }{
		{"nothing", "credential \"tencent\" {}\n", "Missing required argument"},
		{"secret only", "credential \"aws\" {\n  access_key_secret = \"x\"\n}\n", "Missing required argument"},
		{"empty token", "credential \"tencent\" {\n  token = \"\"\n}\n", "Empty token"},
		{"expired not bool", "credential \"tencent\" {\n  token = \"t\"\n  expired = \"maybe\"\n}\n", "Invalid value for expired"},
		{"unknown kind", "credential \"gcp\" {\n  token = \"t\"\n}\n", "Unknown credential kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := ParseConfig([]byte(tt.src), "emulator.hcl")
			if !diags.HasErrors() || diags[0].Summary != tt.summary || diags[0].Subject == nil {
				t.Errorf("diags %v, want %q", diags, tt.summary)
			}
		})
	}
}

// TestParseConfigCredentialKind: a credential's label must name a cloud
// the emulator serves; a near miss, a provider type or a prefix gets a
// did-you-mean, on the label.
func TestParseConfigCredentialKind(t *testing.T) {
	tests := []struct{ label, detail string }{
		{"gcp", `The emulator serves credentials of kind "alicloud", "aws", "huaweicloud", "tencent"; "gcp" is none of them.`},
		{"alicoud", `Did you mean "alicloud"?`},
		{"tencent_cloudbase", `Did you mean "tencent"?`},
		{"huawei", `Did you mean "huaweicloud"?`},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			src := "credential \"" + tt.label + "\" {\n  token = \"t\"\n}\n"
			_, diags := ParseConfig([]byte(src), "emulator.hcl")
			if len(diags) != 1 || diags[0].Summary != "Unknown credential kind" || !strings.HasPrefix(diags[0].Detail, tt.detail) {
				t.Fatalf("diags %v, want one whose detail starts %q", diags, tt.detail)
			}
			if r := diags[0].Subject; r == nil || r.Start.Line != 1 || r.Start.Column != 12 {
				t.Errorf("subject %v, want the label", r)
			}
		})
	}
}

// An aws token credential is a web identity token the emulated STS
// accepts in AssumeRoleWithWebIdentity; -emulate never fills it into an
// aws_lambda provider block, which takes access keys only.
func TestParseConfigAWSWebIdentityToken(t *testing.T) {
	src := `
credential "aws" {
  token      = "oidc-token"
  account_id = "210987654321"
}
credential "aws" {
  token   = "oidc-old"
  expired = true
}
`
	cfg, diags := ParseConfig([]byte(src), "emulator.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	env, err := sim.New(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if c, ok := env.Token("aws", "oidc-token"); !ok || c.AccountID != "210987654321" || c.Expired {
		t.Errorf("token lookup %+v %v", c, ok)
	}
	if c, ok := env.Token("aws", "oidc-old"); !ok || !c.Expired {
		t.Errorf("expired token lookup %+v %v", c, ok)
	}
	if a, _ := Aim("aws_lambda", block([]string{"region", "endpoint", "access_key", "secret_key", "session_token"}, nil), "http://127.0.0.1:1", *cfg); a.Credential != nil {
		t.Errorf("-emulate filled a token into aws_lambda: %+v", a.Credential)
	}
}
