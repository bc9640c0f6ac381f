package executor_test

import (
	"testing"

	"github.com/fnprobe/fnprobe/executor"
)

func TestWorstExit(t *testing.T) {
	tests := []struct {
		codes []int
		want  int
	}{
		{nil, 0},
		{[]int{0, 3}, 3},
		{[]int{3, 2}, 2},
		{[]int{3, 1}, 1},
		{[]int{2, 1}, 1},
		{[]int{1, 4}, 4},
		{[]int{4, 130}, 130},
		{[]int{130, 1}, 130},
		{[]int{1, 2}, 1},
		{[]int{130, 4, 1, 3, 2, 0}, 130},
		{[]int{2, 3}, 2}, // nothing was invoked, whatever the output did
		{[]int{2, 4}, 4},
		// A code not listed ranks just below 130.
		{[]int{4, 99}, 99},
		{[]int{99, 1}, 99},
		{[]int{0, 99}, 99},
		{[]int{99, 130}, 130},
		{[]int{99, 98}, 99},
	}
	for _, tt := range tests {
		if got := executor.WorstExit(tt.codes...); got != tt.want {
			t.Errorf("WorstExit(%v) = %d, want %d", tt.codes, got, tt.want)
		}
	}
}
