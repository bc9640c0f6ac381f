package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/executor"
)

// A report that panics is stopped and its panic kept; the events go on to
// the others.
func TestGuarded(t *testing.T) {
	calls := 0
	g := &guarded{next: executor.ObserverFunc(func(e executor.Event) {
		calls++
		panic("report bug")
	})}
	g.Event(executor.Event{Type: executor.EventStart})
	g.Event(executor.Event{Type: executor.EventResult})
	var ie *internalError
	if err := g.panicked(); !errors.As(err, &ie) || !strings.Contains(err.Error(), "report bug") {
		t.Errorf("panicked() = %v, want the internal error", err)
	}
	if calls != 1 {
		t.Errorf("the report got %d events after it panicked, want none", calls-1)
	}
}

// The first write error is kept, later writes fail at once, and onError
// hears of it whether it registered before or after.
func TestLatch(t *testing.T) {
	boom := errors.New("boom")
	fails := false
	w := writerFunc(func(p []byte) (int, error) {
		if fails {
			return 0, boom
		}
		return len(p), nil
	})
	l := newLatch(w)
	var heard []error
	l.onError(func(err error) { heard = append(heard, err) })
	if _, err := l.Write([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	fails = true
	if _, err := l.Write([]byte("x")); err != boom {
		t.Errorf("write error %v, want boom", err)
	}
	fails = false
	if _, err := l.Write([]byte("y")); err != boom {
		t.Errorf("write after the error: %v, want boom again", err)
	}
	l.onError(func(err error) { heard = append(heard, err) })
	if len(heard) != 2 || heard[0] != boom || heard[1] != boom {
		t.Errorf("heard %v, want boom twice", heard)
	}
	short := newLatch(writerFunc(func(p []byte) (int, error) { return len(p) - 1, nil }))
	if _, err := short.Write([]byte("ab")); err == nil || short.Err() == nil {
		t.Errorf("a short write is not an error")
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
