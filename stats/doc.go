// Package stats holds the sample statistics behind fnprobe's `sample`
// block: exact percentiles, a distribution summary, the one-sided
// Mann–Whitney U test, the per-call accumulator whose Value is an
// invocation's `self.stats` object, and the cty functions percentile() and
// mann_whitney_p() for the expression language.
//
// Everything here is pure computation: no I/O, no clocks, no goroutines.
package stats
