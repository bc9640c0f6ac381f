package tencent_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/providertest"
	"github.com/fnprobe/fnprobe/providers/tencent"
)

// TestWeightedAliasHidden: the emulator routes a weighted alias named in
// X-Qualifier, but CloudBase's invoke answer names no executed version, so
// Result.Version stays empty; the function itself can tell (here it prints
// FNPROBE_VERSION), and the draws follow the weights within 5 sigma over
// 400 calls.
func TestWeightedAliasHidden(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	r, err := emulator.Start(emulator.Config{
		Seed:        9,
		Credentials: []sim.Credential{{Provider: "tencent", Token: testToken}},
		Functions: []sim.FunctionSpec{{
			Name: "canary", Behavior: sim.Command, Command: []string{"sh", "-c", `printf '"%s"' "$FNPROBE_VERSION"`},
			Versions: []string{"6", "7"}, Aliases: map[string]string{"live": "6"},
			AliasWeights: map[string]map[string]float64{"live": {"7": 0.1}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := tencent.New()
	defer d.Close()
	const n, p = 400, 0.1
	counts := map[string]int{}
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := d.Invoke(ctx, &providers.Request{Provider: providerVal(r.URL, testToken),
			Function: functionVal("canary", "live", false), Payload: []byte(`{}`), Type: providers.TypeSync})
		cancel()
		if err != nil || res.Status != 200 {
			t.Fatalf("res %+v err %v", res, err)
		}
		if res.Version != "" {
			t.Fatalf("Result.Version %q: CloudBase does not reveal the executed version", res.Version)
		}
		counts[strings.Trim(string(res.Body), `"`)]++
	}
	if err := providertest.CheckSplit(counts, n, map[string]float64{"6": 1 - p, "7": p}); err != nil {
		t.Error(err)
	}
}
