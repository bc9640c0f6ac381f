package emulator

import (
	"reflect"
	"testing"

	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/zclconf/go-cty/cty"
)

// block builds a decoded provider configuration: every attribute of names
// present, null unless given.
func block(names []string, set map[string]string) cty.Value {
	attrs := map[string]cty.Value{}
	for _, n := range names {
		attrs[n] = cty.NullVal(cty.String)
		if v, ok := set[n]; ok {
			attrs[n] = cty.StringVal(v)
		}
	}
	return cty.ObjectVal(attrs)
}

func TestAim(t *testing.T) {
	const url = "http://127.0.0.1:4242"
	awsAttrs := []string{"region", "access_key", "secret_key", "session_token", "endpoint"}
	hwAttrs := []string{"region", "project_id", "auth_token", "access_key", "secret_key", "security_token", "endpoint", "request_version"}
	cfg := Config{Credentials: []sim.Credential{
		{Provider: "aws", AccessKeyID: "OLD", Secret: "old", Expired: true},
		{Provider: "aws", AccessKeyID: "AK", Secret: "SK", SecurityToken: "ST", Region: "eu-west-1"},
		{Provider: "huaweicloud", Token: "iam", ProjectID: "p1"},
		{Provider: "huaweicloud", AccessKeyID: "HWAK", Secret: "HWSK"},
		{Provider: "tencent", AccessKeyID: "not-for-tencent", Secret: "x"},
	}}
	tests := []struct {
		name    string
		typ     string
		in      cty.Value
		want    map[string]string // non-null attributes of the result
		secrets []string
		own     bool
	}{
		{"aws: endpoint and the first live key, with its region", "aws_lambda",
			block(awsAttrs, map[string]string{"endpoint": "https://lambda.example"}),
			map[string]string{"endpoint": url, "access_key": "AK", "secret_key": "SK", "session_token": "ST", "region": "eu-west-1"},
			[]string{"SK", "ST"}, false},
		{"aws: the block's region is kept", "aws_lambda",
			block(awsAttrs, map[string]string{"region": "us-east-1"}),
			map[string]string{"endpoint": url, "access_key": "AK", "secret_key": "SK", "session_token": "ST", "region": "us-east-1"},
			[]string{"SK", "ST"}, false},
		{"aws: the block's own credential is kept", "aws_lambda",
			block(awsAttrs, map[string]string{"secret_key": "mine"}),
			map[string]string{"endpoint": url, "secret_key": "mine"},
			nil, true},
		{"aws: the STS endpoint too, for an assume_role block", "aws_lambda",
			block(append(awsAttrs, "sts_endpoint"), map[string]string{"sts_endpoint": "https://sts.example"}),
			map[string]string{"endpoint": url, "sts_endpoint": url + "/aws/sts", "access_key": "AK", "secret_key": "SK", "session_token": "ST", "region": "eu-west-1"},
			[]string{"SK", "ST"}, false},
		{"huawei: the first usable credential is a token", "huaweicloud_functiongraph",
			block(hwAttrs, map[string]string{"region": "cn-north-4"}),
			map[string]string{"endpoint": url, "auth_token": "iam", "project_id": "p1", "region": "cn-north-4"},
			[]string{"iam"}, false},
		{"tencent: an access key is no use to a token driver", "tencent_cloudbase",
			block([]string{"env_id", "access_token", "endpoint"}, map[string]string{"env_id": "e"}),
			map[string]string{"endpoint": url, "env_id": "e"},
			nil, false},
		{"alicloud: no credential in the config", "alicloud_fc3",
			block([]string{"region", "access_key_id", "access_key_secret", "security_token", "endpoint"}, nil),
			map[string]string{"endpoint": url},
			nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := Aim(tt.typ, tt.in, url, cfg)
			if !ok {
				t.Fatal("not aimed")
			}
			got := map[string]string{}
			for k, v := range a.Config.AsValueMap() {
				if !v.IsNull() {
					got[k] = v.AsString()
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("config %v, want %v", got, tt.want)
			}
			if !reflect.DeepEqual(a.Secrets(), tt.secrets) {
				t.Errorf("secrets %q, want %q", a.Secrets(), tt.secrets)
			}
			if a.Own != tt.own {
				t.Errorf("own %v, want %v", a.Own, tt.own)
			}
		})
	}
	in := block([]string{"command"}, nil)
	if a, ok := Aim("local", in, url, cfg); ok || !a.Config.RawEquals(in) {
		t.Errorf("local: aimed %v %#v", ok, a.Config)
	}
}

// TestBindingsCoverEveryAPI: every emulated API says how its driver is
// aimed, so -emulate reaches every cloud provider.
func TestBindingsCoverEveryAPI(t *testing.T) {
	b := Bindings()
	for _, p := range Providers() {
		if _, aux := p.(sim.Auxiliary); aux {
			continue // an STS: reached through a driver's credential chain
		}
		if _, ok := b[p.Name()]; !ok {
			t.Errorf("%s has no sim.Binding", p.Name())
		}
	}
	if got, want := CredentialKinds(), []string{"alicloud", "aws", "huaweicloud", "tencent"}; !reflect.DeepEqual(got, want) {
		t.Errorf("credential kinds %q, want %q", got, want)
	}
}

// TestAimAlicloudChain: -emulate aims the alicloud credential chain at the
// emulator too: its STS endpoint is the emulator's, whatever the block
// says, and the profile and role to assume give way to the emulator's
// credential, so no run under -emulate reads local profiles or reaches a
// real STS.
func TestAimAlicloudChain(t *testing.T) {
	const url = "http://127.0.0.1:4242"
	cfg := Config{Credentials: []sim.Credential{{Provider: "alicloud", AccessKeyID: "AK", Secret: "SK"}}}
	role := cty.ObjectVal(map[string]cty.Value{"role_arn": cty.StringVal("acs:ram::1:role/r"), "session_name": cty.NullVal(cty.String)})
	for _, own := range []bool{false, true} {
		attrs := map[string]cty.Value{
			"endpoint": cty.NullVal(cty.String), "access_key_id": cty.NullVal(cty.String),
			"access_key_secret": cty.NullVal(cty.String), "security_token": cty.NullVal(cty.String),
			"profile": cty.StringVal("ci"), "sts_endpoint": cty.StringVal("sts.cn-hangzhou.aliyuncs.com"),
			"assume_role": role,
		}
		if own {
			attrs["access_key_id"], attrs["access_key_secret"] = cty.StringVal("MINE"), cty.StringVal("mine")
		}
		a, ok := Aim("alicloud_fc3", cty.ObjectVal(attrs), url, cfg)
		if !ok {
			t.Fatal("not aimed")
		}
		got := a.Config.AsValueMap()
		if got["sts_endpoint"].AsString() != "https://127.0.0.1:4242/alicloud-sts/" {
			t.Errorf("own %v: sts_endpoint %#v", own, got["sts_endpoint"])
		}
		if !got["profile"].IsNull() || !got["assume_role"].IsNull() || !got["assume_role"].Type().Equals(role.Type()) {
			t.Errorf("own %v: profile %#v, assume_role %#v", own, got["profile"], got["assume_role"])
		}
		if want := map[bool]string{false: "AK", true: "MINE"}[own]; got["access_key_id"].AsString() != want {
			t.Errorf("own %v: access_key_id %#v", own, got["access_key_id"])
		}
	}
}
