package sim

import (
	"context"
	"errors"
	"math"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func newEnv(t *testing.T, fns ...FunctionSpec) *Env {
	t.Helper()
	e, err := New(Options{Seed: 7, Functions: fns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func TestResolve(t *testing.T) {
	e := newEnv(t, FunctionSpec{Name: "f", Versions: []string{"1", "2"}, Aliases: map[string]string{"prod": "2"}})
	f, _ := e.Function("f")
	tests := []struct {
		q, want string
		alias   bool
		err     bool
	}{
		{"", Latest, false, false}, {"LATEST", Latest, false, false}, {"1", "1", false, false},
		{"prod", "2", false, false}, {"3", "", false, true}, {"dev", "", true, true},
	}
	for _, tt := range tests {
		got, err := f.Resolve(tt.q)
		var qe *QualifierError
		if got != tt.want || (err != nil) != tt.err || (err != nil && (!errors.As(err, &qe) || qe.Alias != tt.alias)) {
			t.Errorf("Resolve(%q) = %q, %v", tt.q, got, err)
		}
	}
}

// TestResolveWeighted: a weighted alias executes each additional version
// with its weight and the alias's version otherwise, drawn from the seeded
// routing source; plain aliases, versions and faults are left as they were.
func TestResolveWeighted(t *testing.T) {
	const n = 20000
	tests := []struct {
		name    string
		primary string
		weights map[string]float64
	}{
		{"10 percent", "6", map[string]float64{"7": 0.1}},
		{"two canaries", "6", map[string]float64{"7": 0.25, "8": 0.05}},
		{"all away", "6", map[string]float64{"7": 0.5, "8": 0.5}},
		{"zero weight", "6", map[string]float64{"7": 0}},
		{"from LATEST", Latest, map[string]float64{"8": 0.3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := FunctionSpec{Name: "f", Versions: []string{"6", "7", "8"},
				Aliases:      map[string]string{"live": tt.primary, "plain": "7"},
				AliasWeights: map[string]map[string]float64{"live": tt.weights}}
			e := newEnv(t, spec)
			f, _ := e.Function("f")
			counts := map[string]int{}
			for range n {
				v, err := f.Resolve("live")
				if err != nil {
					t.Fatal(err)
				}
				counts[v]++
			}
			want := map[string]float64{tt.primary: 1}
			for v, w := range tt.weights {
				want[v] = w
				want[tt.primary] -= w
			}
			for v, c := range counts {
				if _, ok := want[v]; !ok {
					t.Errorf("version %q executed %d times, not routed by the alias", v, c)
				}
			}
			for v, p := range want {
				sigma := math.Sqrt(n * p * (1 - p))
				if got := float64(counts[v]); math.Abs(got-n*p) > 5*sigma+1e-9 {
					t.Errorf("version %q: %v of %d calls, want %v ± %.0f", v, got, n, n*p, 5*sigma)
				}
			}
			if v, _ := f.Resolve("plain"); v != "7" {
				t.Errorf("plain alias resolved to %q", v)
			}
			if v, _ := f.Resolve("6"); v != "6" {
				t.Errorf("version resolved to %q", v)
			}
		})
	}
}

// TestResolveWeightedSeeded: the same seed draws the same versions, and
// drawing versions leaves the fault stream of the seed untouched.
func TestResolveWeightedSeeded(t *testing.T) {
	spec := FunctionSpec{Name: "f", Versions: []string{"1", "2"}, Aliases: map[string]string{"live": "1"},
		AliasWeights: map[string]map[string]float64{"live": {"2": 0.5}}, Fault: Fault{ErrorRate: 0.5}}
	draw := func(seed uint64, resolve bool) (versions, faults string) {
		e, err := New(Options{Seed: seed, Functions: []FunctionSpec{spec}})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		f, _ := e.Function("f")
		var vb, fb strings.Builder
		for range 64 {
			if resolve {
				v, _ := f.Resolve("live")
				vb.WriteString(v)
			}
			if f.Decide().Error {
				fb.WriteByte('E')
			} else {
				fb.WriteByte('.')
			}
		}
		return vb.String(), fb.String()
	}
	v1, f1 := draw(3, true)
	v2, f2 := draw(3, true)
	_, f3 := draw(3, false)
	v4, _ := draw(4, true)
	if v1 != v2 || f1 != f2 {
		t.Errorf("seed 3 drew %s / %s, then %s / %s", v1, f1, v2, f2)
	}
	if f1 != f3 {
		t.Errorf("weighted routing changed the faults drawn: %s, without routing %s", f1, f3)
	}
	if v1 == v4 {
		t.Errorf("seeds 3 and 4 drew the same 64 versions %s", v1)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no name", Options{Functions: []FunctionSpec{{}}}},
		{"bad behavior", Options{Functions: []FunctionSpec{{Name: "f", Behavior: "dance"}}}},
		{"command without argv", Options{Functions: []FunctionSpec{{Name: "f", Behavior: Command}}}},
		{"dangling alias", Options{Functions: []FunctionSpec{{Name: "f", Aliases: map[string]string{"a": "9"}}}}},
		{"duplicate", Options{Functions: []FunctionSpec{{Name: "f"}, {Name: "f"}}}},
		{"weights of no alias", Options{Functions: []FunctionSpec{{Name: "f", Versions: []string{"1"},
			AliasWeights: map[string]map[string]float64{"a": {"1": 0.1}}}}}},
		{"weight of an undeclared version", Options{Functions: []FunctionSpec{{Name: "f", Versions: []string{"1"},
			Aliases: map[string]string{"a": "1"}, AliasWeights: map[string]map[string]float64{"a": {"2": 0.1}}}}}},
		{"weight of the primary version", Options{Functions: []FunctionSpec{{Name: "f", Versions: []string{"1"},
			Aliases: map[string]string{"a": "1"}, AliasWeights: map[string]map[string]float64{"a": {"1": 0.1}}}}}},
		{"weight above 1", Options{Functions: []FunctionSpec{{Name: "f", Versions: []string{"1", "2"},
			Aliases: map[string]string{"a": "1"}, AliasWeights: map[string]map[string]float64{"a": {"2": 1.5}}}}}},
		{"weight NaN", Options{Functions: []FunctionSpec{{Name: "f", Versions: []string{"1", "2"},
			Aliases: map[string]string{"a": "1"}, AliasWeights: map[string]map[string]float64{"a": {"2": math.NaN()}}}}}},
		{"weights above 1 together", Options{Functions: []FunctionSpec{{Name: "f", Versions: []string{"1", "2", "3"},
			Aliases: map[string]string{"a": "1"}, AliasWeights: map[string]map[string]float64{"a": {"2": 0.6, "3": 0.5}}}}}},
		{"credential without key", Options{Credentials: []Credential{{Provider: "alicloud"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestBehaviors(t *testing.T) {
	specs := []FunctionSpec{
		{Name: "echo"}, {Name: "fail", Behavior: Fail, Message: "bad"},
		{Name: "sleep", Behavior: Sleep, Sleep: 30 * time.Millisecond}, {Name: "counter", Behavior: Counter},
	}
	if _, err := exec.LookPath("sh"); err == nil {
		specs = append(specs,
			FunctionSpec{Name: "cmd", Behavior: Command, Command: []string{"sh", "-c", "echo log >&2; tr a-z A-Z"}},
			FunctionSpec{Name: "cmdfail", Behavior: Command, Command: []string{"sh", "-c", "echo oops; exit 3"}})
	}
	e := newEnv(t, specs...)
	tests := []struct {
		fn, body, log string
		failed        bool
		minDur        time.Duration
	}{
		{fn: "echo", body: "hi"},
		{fn: "fail", body: `"errorMessage":"bad"`, failed: true},
		{fn: "sleep", body: "hi", minDur: 30 * time.Millisecond},
		{fn: "counter", body: `{"count":1}`},
		{fn: "cmd", body: "HI", log: "log"},
		{fn: "cmdfail", body: "oops", failed: true},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			f, ok := e.Function(tt.fn)
			if !ok {
				t.Skip("no sh")
			}
			out, err := f.Invoke(context.Background(), Call{Payload: []byte("hi"), Version: Latest, RequestID: "r"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out.Body), tt.body) || out.Failed != tt.failed || !strings.Contains(out.Log, tt.log) || out.Duration < tt.minDur {
				t.Errorf("outcome %+v body %s", out, out.Body)
			}
		})
	}
}

func TestDecideDeterministic(t *testing.T) {
	draw := func() string {
		e := newEnv(t, FunctionSpec{Name: "f", Fault: Fault{ErrorRate: 0.3, ThrottleRate: 0.3, DropRate: 0.1, TruncateRate: 0.2}})
		f, _ := e.Function("f")
		var b strings.Builder
		for range 64 {
			d := f.Decide()
			switch {
			case d.Drop:
				b.WriteByte('D')
			case d.Throttle:
				b.WriteByte('T')
			case d.Error:
				b.WriteByte('E')
			case d.Truncate:
				b.WriteByte('C')
			default:
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := draw(), draw()
	if a != b {
		t.Errorf("%s != %s", a, b)
	}
	for _, c := range "DTEC." {
		if !strings.ContainsRune(a, c) {
			t.Errorf("sequence %s never drew %c", a, c)
		}
	}
}

func waitState(t *testing.T, e *Env, fn, id string, want TaskState) Task {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		tk, err := e.Task(fn, id)
		if err != nil {
			t.Fatal(err)
		}
		if tk.State == want {
			return tk
		}
	}
	t.Fatalf("task %s never reached %s", id, want)
	return Task{}
}

func TestTasks(t *testing.T) {
	e := newEnv(t, FunctionSpec{Name: "echo"}, FunctionSpec{Name: "fail", Behavior: Fail},
		FunctionSpec{Name: "long", Behavior: Sleep, Sleep: time.Minute})
	echo, _ := e.Function("echo")
	fail, _ := e.Function("fail")
	long, _ := e.Function("long")

	tk, err := e.Submit(echo, "t1", "", Latest, []byte("p"), "r1")
	if err != nil || tk.State != TaskEnqueued {
		t.Fatalf("submit: %+v %v", tk, err)
	}
	done := waitState(t, e, "echo", "t1", TaskSucceeded)
	if string(done.Outcome.Body) != "p" || done.Ended.IsZero() || len(done.Events) != 3 {
		t.Errorf("task %+v", done)
	}
	if _, err := e.Submit(echo, "t1", "", Latest, nil, "r2"); !errors.Is(err, ErrTaskExists) {
		t.Errorf("duplicate id: %v", err)
	}
	if _, err := e.Submit(fail, "t2", "", Latest, nil, "r3"); err != nil {
		t.Fatal(err)
	}
	waitState(t, e, "fail", "t2", TaskFailed)

	if _, err := e.Submit(long, "t3", "", Latest, nil, "r4"); err != nil {
		t.Fatal(err)
	}
	waitState(t, e, "long", "t3", TaskRunning)
	stopped, err := e.StopTask("long", "t3")
	if err != nil || stopped.State != TaskStopped {
		t.Errorf("stop: %+v %v", stopped, err)
	}
	time.Sleep(20 * time.Millisecond)
	if tk, _ := e.Task("long", "t3"); tk.State != TaskStopped {
		t.Errorf("stopped task moved on to %s", tk.State)
	}
	if _, err := e.Task("echo", "nope"); !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("missing task: %v", err)
	}
	if list := e.Tasks("echo"); len(list) != 1 || list[0].ID != "t1" {
		t.Errorf("list %+v", list)
	}
}

func TestClock(t *testing.T) {
	e := newEnv(t)
	fixed := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	e.SetClock(func() time.Time { return fixed })
	if !e.Now().Equal(fixed) {
		t.Errorf("Now %v", e.Now())
	}
	e.SetClock(nil)
	if time.Since(e.Now()) > time.Minute {
		t.Errorf("clock not restored")
	}
}
