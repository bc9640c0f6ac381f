package report

// RunInfo says what a run is, for the JSON run_start event: the suite's
// fingerprint, the shard (with -shard) and the addresses of the instances
// it runs.
type RunInfo struct {
	// Suite is a fingerprint of the suite and selection (shard.Fingerprint):
	// shards of one suite and selection agree on it.
	Suite string
	// Shard is the shard run, nil without -shard.
	Shard *ShardInfo
	// Instances are the addresses of the instances this run (this shard)
	// selects, sorted.
	Instances []string
}

// ShardInfo is a shard: Index of Count, 1-based.
type ShardInfo struct {
	Index int `json:"index"`
	Count int `json:"count"`
}
