package workpool

import (
	"sync/atomic"
	"testing"
)

func TestRunEveryJobOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 4} {
		seen := make([]atomic.Int32, 1000)
		Run(workers, len(seen), func(i int) bool { seen[i].Add(1); return true })
		for i := range seen {
			if n := seen[i].Load(); n != 1 {
				t.Fatalf("workers %d: job %d ran %d times", workers, i, n)
			}
		}
	}
}

func TestRunStopsAWorker(t *testing.T) {
	var ran atomic.Int32
	Run(1, 100, func(i int) bool { ran.Add(1); return i < 9 })
	if n := ran.Load(); n != 10 {
		t.Fatalf("%d jobs ran, want the 10 up to the one that said stop", n)
	}
}

func TestRunRaisesAPanic(t *testing.T) {
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want the job's panic", r)
		}
	}()
	Run(4, 100, func(i int) bool {
		if i == 50 {
			panic("boom")
		}
		return true
	})
	t.Fatal("Run returned after a panic")
}
