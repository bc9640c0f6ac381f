package sim

// bounded is a map that keeps at most max entries, forgetting the oldest
// first: what the emulated services remember of what they issued (STS
// credentials, metadata session tokens), so that a client calling them in
// a loop cannot grow the emulator without bound. The zero value is empty;
// it is not safe for concurrent use (its owner locks).
type bounded[K comparable, V any] struct {
	m     map[K]V
	order []K // keys, oldest first
}

// put remembers v under k, forgetting the oldest entries while there are
// max or more.
func (b *bounded[K, V]) put(max int, k K, v V) {
	if b.m == nil {
		b.m = make(map[K]V)
	}
	if _, ok := b.m[k]; ok {
		b.m[k] = v
		return
	}
	for len(b.order) >= max {
		delete(b.m, b.order[0])
		b.order = b.order[1:]
	}
	b.m[k] = v
	b.order = append(b.order, k)
}

// get is the value remembered under k.
func (b *bounded[K, V]) get(k K) (V, bool) {
	v, ok := b.m[k]
	return v, ok
}
