// Package workpool runs n jobs on a fixed number of goroutines: the
// planner's for_each instances and the executor's sample calls. A panic
// in a job stops the pool and is raised again in the caller, where it
// would have been met without the pool.
package workpool

import (
	"sync"
	"sync/atomic"
)

// Run calls job(i) for every i in [0, n), in order of i across workers
// goroutines (at least one), and returns when all are done. A worker
// stops when its job returns false; every worker stops once a job has
// panicked, and Run then panics with that value.
func Run(workers, n int, job func(i int) bool) {
	workers = max(workers, 1)
	var next atomic.Int64
	var wg sync.WaitGroup
	var panicked atomic.Value
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					panicked.CompareAndSwap(nil, r)
				}
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || panicked.Load() != nil || !job(i) {
					return
				}
			}
		}()
	}
	wg.Wait()
	if r := panicked.Load(); r != nil {
		panic(r)
	}
}
