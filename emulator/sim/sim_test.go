package sim

import (
	"context"
	"errors"
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
