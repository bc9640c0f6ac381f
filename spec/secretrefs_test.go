package spec_test

import (
	"maps"
	"testing"
)

func TestSecretRefs(t *testing.T) {
	c := varsCase{
		suite: `
variable "token" {
  type      = string
  sensitive = true
}
variable "pin" {
  type      = number
  sensitive = true
}
variable "creds" {
  type      = object({ user = string, keys = list(string) })
  sensitive = true
}
variable "plain" {
  type = string
}
`,
		vars: []string{
			"token=s3cr3t-token", "pin=12345", "plain=not-a-secret",
			`creds={ user = "admin-user", keys = ["key-zero", "key-one"] }`,
		},
	}
	cfg, vals, diags := c.resolve(t)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	got := cfg.SecretRefs(vals)
	want := map[string]string{
		"s3cr3t-token": "FNPROBE_VAR_token",
		"12345":        "FNPROBE_VAR_pin",
		"admin-user":   "FNPROBE_VAR_creds_user",
		"key-zero":     "FNPROBE_VAR_creds_keys_0",
		"key-one":      "FNPROBE_VAR_creds_keys_1",
	}
	if !maps.Equal(got, want) {
		t.Errorf("SecretRefs = %v, want %v", got, want)
	}
}
