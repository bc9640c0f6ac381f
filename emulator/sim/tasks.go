package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// TaskState is the state of an async task, named as Alibaba Cloud names
// them (the other clouds' handlers map these onto their own words).
type TaskState string

// Task states. A task moves Enqueued → Running → Succeeded | Failed, or to
// Stopped when stopped before it finished.
const (
	TaskEnqueued  TaskState = "Enqueued"
	TaskRunning   TaskState = "Running"
	TaskSucceeded TaskState = "Succeeded"
	TaskFailed    TaskState = "Failed"
	TaskStopped   TaskState = "Stopped"
)

// Terminal reports whether a task in this state will not change again.
func (s TaskState) Terminal() bool {
	return s == TaskSucceeded || s == TaskFailed || s == TaskStopped
}

// TaskEvent is one state change of a task.
type TaskEvent struct {
	ID     int
	State  TaskState
	Time   time.Time
	Detail string
}

// Task is a snapshot of an async task.
type Task struct {
	ID        string
	Function  string
	Qualifier string // as given by the caller
	Version   string // resolved
	RequestID string
	Payload   []byte
	State     TaskState
	Outcome   Outcome // valid once State is Succeeded or Failed
	Started   time.Time
	Ended     time.Time // zero until terminal
	Events    []TaskEvent
}

// ErrTaskExists is returned by Submit for a task id already in use.
var ErrTaskExists = errors.New("task id already exists")

// ErrTaskNotFound is returned for an unknown task id.
var ErrTaskNotFound = errors.New("task not found")

type taskStore struct {
	mu     sync.Mutex
	tasks  map[string]*Task // key: function + "\x00" + id
	cancel map[string]context.CancelFunc
	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

func (s *taskStore) init() {
	s.tasks = make(map[string]*Task)
	s.cancel = make(map[string]context.CancelFunc)
	s.ctx, s.stop = context.WithCancel(context.Background())
}

func (s *taskStore) close() {
	s.stop()
	s.wg.Wait()
}

// Submit enqueues an async invocation of f under id ("" generates one) and
// runs it in the background. It returns the task as enqueued.
func (e *Env) Submit(f *Function, id, qualifier, version string, payload []byte, requestID string) (Task, error) {
	if id == "" {
		id = "task-" + e.NewID()
	}
	key := f.Name() + "\x00" + id
	now := e.Now()
	t := &Task{
		ID: id, Function: f.Name(), Qualifier: qualifier, Version: version, RequestID: requestID,
		Payload: bytes.Clone(payload), State: TaskEnqueued, Started: now,
		Events: []TaskEvent{{ID: 1, State: TaskEnqueued, Time: now, Detail: "{}"}},
	}
	s := &e.tasks
	s.mu.Lock()
	if _, dup := s.tasks[key]; dup {
		s.mu.Unlock()
		return Task{}, fmt.Errorf("%w: %s", ErrTaskExists, id)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.tasks[key] = t
	s.cancel[key] = cancel
	snap := t.clone()
	s.wg.Add(1)
	s.mu.Unlock()

	go func() {
		defer s.wg.Done()
		defer cancel()
		if !e.transition(key, TaskEnqueued, TaskRunning, nil) {
			return
		}
		out, err := f.Invoke(ctx, Call{Payload: t.Payload, Version: version, RequestID: requestID})
		if err != nil {
			return // stopped (StopTask already recorded it) or emulator closing
		}
		next := TaskSucceeded
		if out.Failed {
			next = TaskFailed
		}
		e.transition(key, TaskRunning, next, &out)
	}()
	return snap, nil
}

// transition moves a task from one state to another; it reports false when
// the task was no longer in state from (e.g. stopped meanwhile).
func (e *Env) transition(key string, from, to TaskState, out *Outcome) bool {
	s := &e.tasks
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tasks[key]
	if t == nil || t.State != from {
		return false
	}
	now := e.Now()
	t.State = to
	t.Events = append(t.Events, TaskEvent{ID: len(t.Events) + 1, State: to, Time: now, Detail: "{}"})
	if out != nil {
		t.Outcome = *out
	}
	if to.Terminal() {
		t.Ended = now
	}
	return true
}

// Task returns a snapshot of one task of a function.
func (e *Env) Task(function, id string) (Task, error) {
	s := &e.tasks
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tasks[function+"\x00"+id]
	if t == nil {
		return Task{}, fmt.Errorf("%w: %s", ErrTaskNotFound, id)
	}
	return t.clone(), nil
}

// Tasks returns snapshots of a function's tasks, oldest first.
func (e *Env) Tasks(function string) []Task {
	s := &e.tasks
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Task
	for _, t := range s.tasks {
		if t.Function == function {
			out = append(out, t.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.Before(out[j].Started)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// StopTask stops a task that has not finished; a finished task is returned
// unchanged.
func (e *Env) StopTask(function, id string) (Task, error) {
	key := function + "\x00" + id
	s := &e.tasks
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tasks[key]
	if t == nil {
		return Task{}, fmt.Errorf("%w: %s", ErrTaskNotFound, id)
	}
	if !t.State.Terminal() {
		now := e.Now()
		t.State = TaskStopped
		t.Ended = now
		t.Events = append(t.Events, TaskEvent{ID: len(t.Events) + 1, State: TaskStopped, Time: now, Detail: "{}"})
		if c := s.cancel[key]; c != nil {
			c()
		}
	}
	return t.clone(), nil
}

func (t *Task) clone() Task {
	c := *t
	c.Events = append([]TaskEvent(nil), t.Events...)
	c.Payload = bytes.Clone(t.Payload)
	c.Outcome.Body = bytes.Clone(t.Outcome.Body)
	return c
}
