package report

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/fnprobe/fnprobe/executor"
)

// ProgressInterval is how often a Progress off a terminal prints a line.
const ProgressInterval = 10 * time.Second

// liveRedraw is the least time between two redraws of a live line.
const liveRedraw = 100 * time.Millisecond

// Progress stands in for the human view's line per event in large runs.
// On a terminal (live) it keeps one line redrawn with \r,
//
//	[ 412/1000] 400 passed, 9 failed, 3 errored · 12 running
//
// and clears it when the summary comes, before the failures and the
// summary line are printed. Off a terminal it prints nothing by itself:
// whoever owns the clock calls Tick (every ProgressInterval), which prints
// a line in the manner of Terraform's long operations,
//
//	Still running... [10s elapsed] 412/1000 done: 400 passed, 9 failed, 3 errored; 12 running
//
// Progress is safe for concurrent use.
type Progress struct {
	mu      sync.Mutex
	w       io.Writer
	live    bool
	now     func() time.Time
	start   time.Time
	last    time.Time
	total   int
	counts  map[executor.Status]int
	running map[string]bool
	drawn   bool // a live line is on screen
	done    bool
}

// NewProgress returns a progress reporter writing to w: a live line if
// live, else a line per Tick. now is its clock (nil: time.Now).
func NewProgress(w io.Writer, live bool, now func() time.Time) *Progress {
	if now == nil {
		now = time.Now
	}
	return &Progress{w: w, live: live, now: now, counts: map[executor.Status]int{}, running: map[string]bool{}}
}

// Event implements executor.Observer.
func (p *Progress) Event(e executor.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	switch e.Type {
	case executor.EventRunStart:
		p.start = p.now()
		if e.Summary != nil {
			p.total = e.Summary.Total
		}
	case executor.EventStart:
		if e.Invocation != nil {
			p.running[e.Invocation.Addr] = true
			p.redraw(false)
		}
	case executor.EventResult:
		if e.Invocation != nil && e.Result != nil {
			delete(p.running, e.Invocation.Addr)
			p.counts[e.Result.Status]++
			p.redraw(p.finished() == p.total)
		}
	case executor.EventSummary:
		if p.drawn {
			io.WriteString(p.w, "\r\x1b[K")
			p.drawn = false
		}
		p.done = true
	}
}

// Tick prints the progress line of a run off a terminal, at time t.
func (p *Progress) Tick(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live || p.done || p.start.IsZero() {
		return
	}
	elapsed := t.Sub(p.start).Round(time.Second)
	fmt.Fprintf(p.w, "Still running... [%s elapsed] %d/%d done: %s; %d running\n", elapsed, p.finished(), p.total, p.counted(), len(p.running))
}

func (p *Progress) finished() int {
	n := 0
	for _, c := range p.counts {
		n += c
	}
	return n
}

// counted is "400 passed, 9 failed, 3 errored", and the skipped if any.
func (p *Progress) counted() string {
	s := fmt.Sprintf("%d passed, %d failed, %d errored", p.counts[executor.StatusPass], p.counts[executor.StatusFail], p.counts[executor.StatusError])
	if n := p.counts[executor.StatusSkip]; n > 0 {
		s += fmt.Sprintf(", %d skipped", n)
	}
	return s
}

// redraw rewrites the live line, at most every liveRedraw unless force.
func (p *Progress) redraw(force bool) {
	if !p.live {
		return
	}
	now := p.now()
	if !force && p.drawn && now.Sub(p.last) < liveRedraw {
		return
	}
	p.last = now
	width := len(fmt.Sprint(p.total))
	fmt.Fprintf(p.w, "\r[%*d/%d] %s · %d running\x1b[K", width, p.finished(), p.total, p.counted(), len(p.running))
	p.drawn = true
}
