package aws_test

import (
	"context"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/aws"
	"github.com/fnprobe/fnprobe/providers/providertest"
)

// weightedConfig declares weighted aliases the way a user writes them.
const weightedConfig = `
seed = 11
credential "aws" {
  access_key_id     = "AKIDFNPROBETEST"
  access_key_secret = "s3cr3t-value-never-printed"
}
function "canary" {
  versions = ["6", "7", "8"]
  aliases  = { stable = "6" }
  alias "live" {
    version                    = "6"
    additional_version_weights = { "7" = 0.1 }
  }
  alias "split" {
    version                    = "6"
    additional_version_weights = { "7" = 0.3, "8" = 0.2 }
  }
}
`

// TestWeightedAliasSplit invokes weighted aliases 400 times each through
// the driver and checks that X-Amz-Executed-Version, mapped onto
// Result.Version, splits as the weights say: each version within 5 sigma of
// its expected count (a chance failure is below 1 in a million per check),
// which an emulator ignoring the weights (every call on version 6) fails.
func TestWeightedAliasSplit(t *testing.T) {
	cfg, diags := emulator.ParseConfig([]byte(weightedConfig), "emulator.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	r, err := emulator.Start(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := aws.New()
	defer d.Close()
	const n = 400
	tests := []struct {
		qualifier string
		want      map[string]float64
	}{
		{"live", map[string]float64{"6": 0.9, "7": 0.1}},
		{"split", map[string]float64{"6": 0.5, "7": 0.3, "8": 0.2}},
		{"stable", map[string]float64{"6": 1}},
		{"7", map[string]float64{"7": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.qualifier, func(t *testing.T) {
			counts := map[string]int{}
			for range n {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				res, err := d.Invoke(ctx, &providers.Request{Provider: providerVal(r.URL, nil),
					Function: functionVal("canary", tt.qualifier), Payload: []byte(`{}`), Type: providers.TypeSync})
				cancel()
				if err != nil || res.Status != 200 {
					t.Fatalf("res %+v err %v", res, err)
				}
				counts[res.Version]++
			}
			if err := providertest.CheckSplit(counts, n, tt.want); err != nil {
				t.Error(err)
			}
		})
	}
}
