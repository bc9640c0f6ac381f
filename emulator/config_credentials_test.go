package emulator

import (
	"testing"

	"github.com/fnprobe/fnprobe/emulator/sim"
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

func TestParseConfigCredentialErrors(t *testing.T) {
	tests := []struct{ name, src, summary string }{
		{"nothing", "credential \"tencent\" {}\n", "Missing required argument"},
		{"secret only", "credential \"aws\" {\n  access_key_secret = \"x\"\n}\n", "Missing required argument"},
		{"empty token", "credential \"tencent\" {\n  token = \"\"\n}\n", "Empty token"},
		{"expired not bool", "credential \"tencent\" {\n  token = \"t\"\n  expired = \"maybe\"\n}\n", "Invalid value for expired"},
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
