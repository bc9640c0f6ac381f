package executor

import (
	"context"
	"sync"

	"github.com/zclconf/go-cty/cty"
)

// Bounds of bodyMemo: bodies of at most memoBodyMax bytes, at most
// memoEntries of them: 64 KiB of bodies, and about 3 MB of decoded values
// at worst (1 KiB bodies of 500 numbers each). When it is full it is
// emptied and fills again.
const (
	memoBodyMax = 1 << 10
	memoEntries = 64
)

// bodyMemo remembers what small bodies decode to. The calls of a sample,
// and the instances of a for_each over one function, often get the same
// answer byte for byte ({"status":"ok"}); decoding it into cty values is
// the largest part of the executor's own work per call (bench/,
// BenchmarkExecutorInstantLean). cty values are immutable, so one decoded
// value serves every call that got the same bytes. Safe for concurrent
// use.
type bodyMemo struct {
	mu sync.RWMutex
	m  map[string]memoBody
}

// memoBody is a body's JSON, and the lean result object holding it
// (cty.NilVal for a body too large to remember).
type memoBody struct {
	json, lean cty.Value
}

// leanObject is the result object of a call whose result nothing reads:
// only what checks take from self (expect.json).
func leanObject(js cty.Value) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"json": js})
}

// decode is decodeJSON(ctx, body), and for a small body the lean result
// object around it.
func (b *bodyMemo) decode(ctx context.Context, body []byte) (memoBody, error) {
	if err := ctx.Err(); err != nil {
		return memoBody{}, err
	}
	small := len(body) <= memoBodyMax
	if small {
		b.mu.RLock()
		mb, ok := b.m[string(body)]
		b.mu.RUnlock()
		if ok {
			return mb, nil
		}
	}
	js, err := decodeJSON(ctx, body)
	if err != nil {
		return memoBody{}, err
	}
	mb := memoBody{json: js, lean: cty.NilVal}
	if small {
		mb.lean = leanObject(js)
		b.mu.Lock()
		if b.m == nil || len(b.m) >= memoEntries {
			b.m = make(map[string]memoBody, memoEntries)
		}
		b.m[string(body)] = mb
		b.mu.Unlock()
	}
	return mb, nil
}
