package repro

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/fnprobe/fnprobe/limits"
	"github.com/fnprobe/fnprobe/providers"
)

// Limits of what is written and printed.
const (
	// MaxInline is the largest payload given inline on a command line.
	MaxInline = 512
	// MaxFileBytes is the largest payload written to -repro-dir: the
	// largest payload_file fnprobe reads.
	MaxFileBytes = limits.PayloadFileBytes
	// maxNameBytes bounds the readable part of a payload file's name.
	maxNameBytes = 80
)

// Notes a Result may carry.
const (
	NotePassDir = "pass -repro-dir to write the payload"
	// Placeholder is the payload file a command refers to when none was
	// written.
	Placeholder  = "payload.json"
	noteWithheld = "the command is withheld: it would show a secret that comes from no environment variable fnprobe knows"
)

// Options configure a Builder.
type Options struct {
	// Dir is -repro-dir: where payloads are written; "" writes none.
	Dir string
	// Secrets maps secrets to their variables; nil knows none.
	Secrets *Secrets
	// Redact is the last line of defence (spec.Redactor.String): a word
	// it would change still holds a secret, and is not printed. nil
	// checks nothing.
	Redact func(string) string
	// Suite names the suite, so that two suites' invocations of one
	// address get different payload files.
	Suite string
	// Program is the fnprobe command ("fnprobe" when empty).
	Program string
	// RerunArgs are the words of the rerun line after -target (the -var
	// and -var-file flags given, as "-var=NAME=VALUE"), and Paths the
	// suites' paths after them.
	RerunArgs []string
	Paths     []string
}

// Result is what a Builder makes for one failed invocation. Every string
// in it is secret-free.
type Result struct {
	Tool        string // "AWS CLI", "curl" ...; "" without a command
	Doc         string // the tool's documentation
	Command     string // the tool's command line; "" when there is none
	Rerun       string // the fnprobe run -target=… line
	PayloadFile string // the payload file written under Dir, "" none
	Note        string // caveats, "; "-separated
}

// Builder makes Results. It is safe for concurrent use: it holds only
// its options, and each invocation's payload goes to its own file.
type Builder struct {
	opts Options
}

// New returns a Builder.
func New(opts Options) *Builder {
	if opts.Program == "" {
		opts.Program = "fnprobe"
	}
	return &Builder{opts: opts}
}

func (b *Builder) redact(s string) string {
	if b.opts.Redact == nil {
		return s
	}
	return b.opts.Redact(s)
}

// holdsSecret reports whether text holds a secret, in any form the
// Redactor knows or as a value the Secrets map.
func (b *Builder) holdsSecret(text string) bool {
	if b.redact(text) != text {
		return true
	}
	return len(b.opts.Secrets.Names(text)) > 0
}

// Build makes the Result for the request req of the invocation addr, sent
// through driver d.
func (b *Builder) Build(addr string, d providers.Driver, req *providers.Request) *Result {
	res := &Result{}
	var notes []string
	note := func(s string) { notes = append(notes, s) }
	defer func() { res.Note = strings.Join(notes, "; ") }()

	res.Rerun = b.rerun(addr)
	if res.Rerun == "" {
		note("the rerun line is withheld: it would show a secret that comes from no environment variable fnprobe knows")
	}
	rp, isRepro := d.(providers.Reproducer)
	if !isRepro || req == nil {
		return res
	}
	payload := req.Payload
	secret := b.holdsSecret(string(payload))
	pp := providers.ReproPayload{Inline: len(payload) <= MaxInline && printable(payload) && !secret}
	if len(payload) > 0 {
		switch {
		case secret:
			note(fmt.Sprintf("the payload holds a secret (%s), so it is not written: write %s yourself, or rerun with fnprobe", b.secretNames(string(payload)), Placeholder))
		case b.opts.Dir != "":
			path, err := b.writePayload(addr, d, payload)
			if err != nil {
				note(b.redact(err.Error()))
			} else {
				pp.File, pp.Inline, res.PayloadFile = path, false, path
			}
		}
	}
	written := pp.File != ""
	if !written {
		// A command that needs a file refers to one the user makes.
		pp.File = Placeholder
	}
	r, ok := rp.Repro(req, pp)
	if !ok {
		return res
	}
	if r.Note != "" {
		note(b.redact(r.Note))
	}
	cmd, placeholder, ok := b.command(r, pp, written, payload)
	if !ok {
		note(noteWithheld)
		return res
	}
	if placeholder && !secret && b.opts.Dir == "" && len(payload) > 0 {
		note(NotePassDir)
	}
	res.Tool, res.Doc, res.Command = r.Tool, r.Doc, cmd
	return res
}

// secretNames lists the variables of the secrets in text, or says that
// they come from none.
func (b *Builder) secretNames(text string) string {
	if names := b.opts.Secrets.Names(text); len(names) > 0 {
		return strings.Join(names, ", ")
	}
	return "from no environment variable fnprobe knows"
}

// printable reports whether p is UTF-8 text of printable characters,
// spaces, tabs and newlines.
func printable(p []byte) bool {
	if !utf8.Valid(p) {
		return false
	}
	for _, r := range string(p) {
		if !raw(r) {
			return false
		}
	}
	return true
}

// rerun renders the fnprobe run line, "" when it would show a secret.
func (b *Builder) rerun(addr string) string {
	texts := append([]string{b.opts.Program, "run", "-target=" + addr}, b.opts.RerunArgs...)
	texts = append(texts, b.opts.Paths...)
	line, ok := b.clean(b.opts.Secrets.Words(texts...))
	if !ok {
		return ""
	}
	return line
}

// clean renders words, and reports whether no literal part of them holds
// a secret the Redactor knows, and the rendering neither.
func (b *Builder) clean(words []Word) (line string, ok bool) {
	for _, w := range words {
		for _, p := range w {
			if p.Text != "" && b.redact(p.Text) != p.Text {
				return "", false
			}
		}
	}
	line = Line(words)
	return line, b.redact(line) == line
}

// command renders a driver's Repro; placeholder says it refers to the
// Placeholder file; ok is false when it would show a secret.
func (b *Builder) command(r providers.Repro, pp providers.ReproPayload, written bool, payload []byte) (line string, placeholder, ok bool) {
	inline := !written && pp.Inline
	var words []Word
	if len(r.Env) > 0 {
		words = append(words, Lit("env"))
		words = append(words, b.opts.Secrets.Words(r.Env...)...)
	}
	for _, a := range r.Args {
		switch {
		case a == providers.ReproFileText && inline:
			words = append(words, b.opts.Secrets.Word(string(payload)))
		case a == providers.ReproFileText:
			words = append(words, Word{{Shell: `"$(cat ` + Quote(pp.File) + `)"`}})
			placeholder = placeholder || !written
		default:
			words = append(words, b.opts.Secrets.Word(a))
			placeholder = placeholder || !written && strings.Contains(a, pp.File)
		}
	}
	line, ok = b.clean(words)
	if !ok {
		return "", false, false
	}
	if r.Dir != "" {
		dir, ok := b.clean(b.opts.Secrets.Words(r.Dir))
		if !ok {
			return "", false, false
		}
		line = "(cd " + dir + " && exec " + line + ")"
	}
	if r.Stdin && len(payload) > 0 {
		if inline {
			line = "printf '%s' " + Quote(string(payload)) + " | " + line
		} else {
			line += " < " + Quote(pp.File)
			placeholder = placeholder || !written
		}
	}
	return line, placeholder, b.redact(line) == line
}

// FileName is the name of an invocation's payload file: the address with
// every character but letters, digits, '.', '_' and '-' replaced by '_'
// (bounded), then a hash of the suite and the address, so that names are
// deterministic, distinct, and never climb out of the directory.
func FileName(suite, addr string) string {
	var b strings.Builder
	for _, r := range addr {
		if b.Len() >= maxNameBytes {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := strings.TrimLeft(b.String(), ".-")
	if name == "" {
		name = "invocation"
	}
	sum := sha256.Sum256([]byte(suite + "\x00" + addr))
	return name + "-" + hex.EncodeToString(sum[:5]) + ".json"
}

// writePayload writes the payload file of addr and returns its path.
func (b *Builder) writePayload(addr string, d providers.Driver, payload []byte) (string, error) {
	content := payload // Build found no secret in it
	if f, ok := d.(providers.ReproFiler); ok {
		c, err := f.ReproFile(payload)
		if err != nil {
			return "", fmt.Errorf("the payload is not written: %w", err)
		}
		// What the driver made of it is searched again: an escape may
		// have written a secret in a form the payload did not hold.
		if b.holdsSecret(string(c)) {
			return "", errors.New("the payload is not written: it holds a secret")
		}
		content = c
	}
	if len(content) > MaxFileBytes {
		return "", fmt.Errorf("the payload is not written: it is larger than %d MiB", MaxFileBytes>>20)
	}
	name := FileName(b.opts.Suite, addr)
	if b.holdsSecret(name) {
		// A for_each key that is a secret: the name keeps the hash only.
		name = "invocation-" + name[strings.LastIndexByte(name, '-')+1:]
	}
	path := filepath.Join(b.opts.Dir, name)
	if err := WriteFile(path, content); err != nil {
		return "", fmt.Errorf("writing the payload: %w", err)
	}
	return path, nil
}

// WriteFile writes content to path, readable by its owner only: the
// directory is created 0700 when missing, and the file is written under
// a temporary name and renamed, so that a symbolic link at path is
// replaced, never followed.
func WriteFile(path string, content []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".repro-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(content); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// PrepareDir creates dir (0700) when missing and checks that a payload
// can be written in it, so that a -repro-dir that cannot work is a
// command-line error before anything runs.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".repro-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
