package spec

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/limits"
)

// CheckNesting refuses source whose brackets nest deeper than
// limits.NestingDepth, before a parser recursing once per level overflows
// the stack. It reports where the limit is crossed. json selects HCL's JSON
// syntax; else src is native syntax, a whole file, or with expr a single
// expression (a -var value).
//
// The scan knows native syntax's comments, quoted strings, heredocs and
// template sequences (${ and %{), so brackets inside text do not count. It
// errs on the side of counting: a string of HCL JSON may be a template, so
// its brackets count.
func CheckNesting(src []byte, filename string, json bool) hcl.Diagnostics {
	var pos *hcl.Pos
	if json {
		pos = jsonNesting(src)
	} else {
		pos = nativeNesting(src)
	}
	if pos == nil {
		return nil
	}
	end := *pos
	end.Byte++
	end.Column++
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Nesting too deep",
		Detail: fmt.Sprintf("Brackets, braces, strings and template sequences nest more than %d levels deep here, deeper than fnprobe reads.",
			limits.NestingDepth),
		Subject: &hcl.Range{Filename: filename, Start: *pos, End: end},
	}}
}

// cursor tracks the position of a scan.
type cursor struct {
	src  []byte
	i    int
	line int
	col  int
}

func (c *cursor) pos() hcl.Pos { return hcl.Pos{Line: c.line, Column: c.col, Byte: c.i} }

// advance moves past n bytes.
func (c *cursor) advance(n int) {
	for k := 0; k < n && c.i < len(c.src); k++ {
		b := c.src[c.i]
		switch {
		case b == '\n':
			c.line++
			c.col = 1
		case b < utf8.RuneSelf || utf8.RuneStart(b):
			c.col++
		}
		c.i++
	}
}

func (c *cursor) has(s string) bool { return bytes.HasPrefix(c.src[c.i:], []byte(s)) }

// skipLine moves to the next line break (not past it).
func (c *cursor) skipLine() {
	j := bytes.IndexByte(c.src[c.i:], '\n')
	if j < 0 {
		j = len(c.src) - c.i
	}
	c.advance(j)
}

// native scan frames.
const (
	frameBracket = iota // ( [ { in an expression
	frameInterp         // ${ or %{ in a template: an expression up to }
	frameString         // a quoted template
	frameHeredoc        // a heredoc template
)

type frame struct {
	kind   int
	marker []byte // heredoc: the closing marker
}

func nativeNesting(src []byte) *hcl.Pos {
	c := &cursor{src: src, line: 1, col: 1}
	var stack []frame
	push := func(f frame) bool {
		stack = append(stack, f)
		return len(stack) > limits.NestingDepth
	}
	top := func() int {
		if len(stack) == 0 {
			return frameBracket // the file's top level reads as an expression
		}
		return stack[len(stack)-1].kind
	}
	atLineStart := true
	for c.i < len(src) {
		switch top() {
		case frameString, frameHeredoc:
			if top() == frameHeredoc && atLineStart {
				line := src[c.i:]
				if j := bytes.IndexByte(line, '\n'); j >= 0 {
					line = line[:j]
				}
				if bytes.Equal(bytes.TrimSpace(line), stack[len(stack)-1].marker) {
					stack = stack[:len(stack)-1]
					c.skipLine()
					atLineStart = false
					continue
				}
			}
			atLineStart = false
			switch {
			case c.has("$${") || c.has("%%{"):
				c.advance(3)
			case c.has("${") || c.has("%{"):
				p := c.pos()
				if push(frame{kind: frameInterp}) {
					return &p
				}
				c.advance(2)
			case top() == frameString && src[c.i] == '\\':
				c.advance(2)
			case top() == frameString && (src[c.i] == '"' || src[c.i] == '\n'):
				// A line break ends an unterminated string: the parser
				// reports it; the scan goes on as it will.
				stack = stack[:len(stack)-1]
				c.advance(1)
			case src[c.i] == '\n':
				atLineStart = true
				c.advance(1)
			default:
				c.advance(1)
			}
			continue
		}
		switch b := src[c.i]; {
		case b == '#' || c.has("//"):
			c.skipLine()
		case c.has("/*"):
			j := bytes.Index(src[c.i+2:], []byte("*/"))
			if j < 0 {
				c.advance(len(src) - c.i)
			} else {
				c.advance(j + 4)
			}
		case b == '"':
			p := c.pos()
			if push(frame{kind: frameString}) {
				return &p
			}
			c.advance(1)
		case c.has("<<"):
			p := c.pos()
			j := c.i + 2
			if j < len(src) && src[j] == '-' {
				j++
			}
			k := j
			for k < len(src) && (src[k] == '_' || src[k] == '-' || isAlnum(src[k])) {
				k++
			}
			nl := bytes.IndexByte(src[k:], '\n')
			if k == j || nl < 0 || len(bytes.TrimSpace(src[k:k+nl])) > 0 {
				c.advance(2) // not a heredoc opener
				continue
			}
			if push(frame{kind: frameHeredoc, marker: append([]byte(nil), src[j:k]...)}) {
				return &p
			}
			c.advance(k + nl + 1 - c.i)
			atLineStart = true
		case b == '(' || b == '[' || b == '{':
			p := c.pos()
			if push(frame{kind: frameBracket}) {
				return &p
			}
			c.advance(1)
		case b == ')' || b == ']' || b == '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			c.advance(1)
		default:
			c.advance(1)
		}
	}
	return nil
}

func isAlnum(b byte) bool {
	return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
}

// jsonNesting scans HCL JSON: [ and { outside strings. A string may be a
// template: from a ${ or %{ on, its brackets count too, on top of the
// string's level, until they close. (Quotes inside a template sequence are
// escaped in JSON, so brackets in strings there count as well: the scan
// errs on the side of counting.)
func jsonNesting(src []byte) *hcl.Pos {
	c := &cursor{src: src, line: 1, col: 1}
	depth := 0
	for c.i < len(src) {
		switch src[c.i] {
		case '[', '{':
			depth++
			if depth > limits.NestingDepth {
				p := c.pos()
				return &p
			}
			c.advance(1)
		case ']', '}':
			if depth > 0 {
				depth--
			}
			c.advance(1)
		case '"':
			c.advance(1)
			open := 0 // brackets open in template sequences
			for c.i < len(src) && src[c.i] != '"' {
				opens := false
				switch {
				case src[c.i] == '\\':
					c.advance(2)
					continue
				case open == 0 && (c.has("$${") || c.has("%%{")):
					c.advance(3)
					continue
				case open == 0 && (c.has("${") || c.has("%{")):
					opens = true
					c.advance(1) // to the brace, counted below
				case open > 0 && (src[c.i] == '(' || src[c.i] == '[' || src[c.i] == '{'):
					opens = true
				case open > 0 && (src[c.i] == ')' || src[c.i] == ']' || src[c.i] == '}'):
					open--
				}
				if opens {
					open++
					if depth+open > limits.NestingDepth {
						p := c.pos()
						return &p
					}
				}
				c.advance(1)
			}
			c.advance(1)
		default:
			c.advance(1)
		}
	}
	return nil
}
