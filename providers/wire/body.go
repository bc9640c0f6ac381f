package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/fnprobe/fnprobe/limits"
	"github.com/fnprobe/fnprobe/providers"
)

// Per-body limits of the drivers. The clouds' invoke APIs cap a synchronous
// answer at 6 MB (AWS Lambda, Huawei FunctionGraph, Tencent SCF) to 32 MB
// (Alibaba FC 3.0); CloudLimit leaves room above all of them. An http
// function is any endpoint, so HTTPLimit is more generous still.
const (
	CloudLimit = 32 << 20 // alicloud, aws_lambda, huaweicloud_functiongraph, tencent_cloudbase
	HTTPLimit  = 64 << 20 // http
)

// firstChunk is the first allocation for a body of unknown length.
const firstChunk = 32 << 10

// TooLargeError is the error of a body longer than its limit. The body is
// read no further than one byte past the limit (none of it when the
// Content-Length already says it is too long).
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("response body exceeds the %s limit", limits.Size(e.Limit))
}

// ReadBody reads a response body of at most limit bytes, drawing the memory
// it allocates from budget (nil: no budget; see providers.Budget).
// contentLength is the declared length (-1 when unknown): a body declared
// longer than limit fails before a byte is read, and one declared within it
// is read into a buffer of exactly that size (plus one byte to see the end).
// A body of unknown length grows its buffer by doubling from 32 KiB, never
// past limit bytes: a one-byte probe tells a body of exactly limit bytes
// from a longer one. The read stops when ctx ends.
//
// On success release returns the memory to the budget (it may be called
// more than once); a driver hands it on in Result.Release, or calls it
// when it drops the body. On error nothing stays held.
func ReadBody(ctx context.Context, r io.Reader, contentLength, limit int64, budget *providers.Budget) (body []byte, release func(), err error) {
	if limit <= 0 {
		return nil, nil, errors.New("wire: ReadBody needs a positive limit")
	}
	if contentLength > limit {
		return nil, nil, &TooLargeError{Limit: limit}
	}
	hold, err := budget.NewHold(limit, contentLength)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			hold.Release()
			body, release = nil, nil
		}
	}()
	// grow replaces buf by one of capacity n. The hold covers both
	// buffers while the bytes are copied, then only the new one.
	grow := func(buf []byte, n int64) ([]byte, error) {
		if err := hold.Grow(ctx, int64(cap(buf))+n); err != nil {
			return buf, err
		}
		nb := make([]byte, len(buf), n)
		copy(nb, buf)
		return nb, nil
	}
	var buf []byte
	if contentLength >= 0 {
		if buf, err = grow(nil, contentLength+1); err != nil {
			return nil, nil, err
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= limit {
				// Full at the limit: one more byte is one too many. A
				// probe reads it without growing the buffer past the limit.
				var probe [1]byte
				n, rerr := r.Read(probe[:])
				switch {
				case n > 0:
					return nil, nil, &TooLargeError{Limit: limit}
				case rerr == io.EOF:
					goto done
				case rerr != nil:
					return nil, nil, rerr
				}
				continue
			}
			if buf, err = grow(buf, min(max(2*int64(cap(buf)), firstChunk), limit)); err != nil {
				return nil, nil, err
			}
		}
		n, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, nil, &TooLargeError{Limit: limit}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, nil, rerr
		}
	}
done:
	hold.Shrink(int64(cap(buf)))
	if buf == nil {
		buf = []byte{}
	}
	var once sync.Once
	return buf, func() { once.Do(hold.Release) }, nil
}
