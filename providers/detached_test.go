package providers

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestDetached: f's answer; ctx's end while f runs or while another call
// holds the slot, at once; the slot is freed once f ends.
func TestDetached(t *testing.T) {
	slot := make(chan struct{}, 1)
	if v, err := Detached(context.Background(), slot, func() (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Fatalf("answer %d, %v", v, err)
	}
	boom := errors.New("boom")
	if _, err := Detached(context.Background(), slot, func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}

	release := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Detached(ctx, slot, func() (int, error) { <-release; return 1, nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung call: %v, want the deadline", err)
	}
	// The hung call still holds the slot: the next waits, and gives up with its context.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := Detached(ctx2, slot, func() (int, error) { return 2, nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting for the slot: %v, want the deadline", err)
	}
	close(release) // the hung call ends and frees the slot
	if v, err := Detached(context.Background(), slot, func() (int, error) { return 3, nil }); v != 3 || err != nil {
		t.Fatalf("after the hung call ended: %d, %v", v, err)
	}
}
