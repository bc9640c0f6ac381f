package spec

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/fnprobe/fnprobe/limits"
	"github.com/fnprobe/fnprobe/stats"
)

// Functions returns the function table for expressions in files under dir:
// go-cty's standard library under the names Terraform users know, plus
// env(), file() (relative to dir), uuid(), timestamp(), a few encoders, and
// the sample statistics percentile() and mann_whitney_p() (package stats).
//
// getenv is consulted by env(); pass os.Getenv in production and a fake in
// tests.
func Functions(dir string, getenv func(string) string) map[string]function.Function {
	return functions(context.Background(), dir, getenv)
}

// functions is Functions whose file() stops reading when ctx ends.
func functions(ctx context.Context, dir string, getenv func(string) string) map[string]function.Function {
	return limitFunctions(map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"base64decode":    base64DecodeFunc,
		"base64encode":    base64EncodeFunc,
		"can":             tryfunc.CanFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"csvdecode":       stdlib.CSVDecodeFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"endswith":        endsWithFunc,
		"env":             makeEnvFunc(getenv),
		"file":            makeFileFunc(ctx, dir),
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatdate":      stdlib.FormatDateFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"index":           stdlib.IndexFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          lengthFunc,
		"log":             stdlib.LogFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"mann_whitney_p":  stats.MannWhitneyPFunc,
		"max":             stdlib.MaxFunc,
		"md5":             makeHashFunc(func(b []byte) []byte { s := md5.Sum(b); return s[:] }),
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"percentile":      stats.PercentileFunc,
		"pow":             stdlib.PowFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"replace":         stdlib.ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      setProductOfSets(stdlib.SetProductFunc),
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"sha1":            makeHashFunc(func(b []byte) []byte { s := sha1.Sum(b); return s[:] }),
		"sha256":          makeHashFunc(func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }),
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"startswith":      startsWithFunc,
		"strcontains":     strContainsFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"timeadd":         stdlib.TimeAddFunc,
		"timestamp":       timestampFunc,
		"title":           stdlib.TitleFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          fastCollectionFunc(cty.List(cty.DynamicPseudoType), cty.ListVal),
		"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           fastCollectionFunc(cty.Set(cty.DynamicPseudoType), cty.SetVal),
		"tostring":        tostringFunc(),
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"try":             tryfunc.TryFunc,
		"upper":           stdlib.UpperFunc,
		"urlencode":       urlEncodeFunc,
		"uuid":            uuidFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
	})
}

// lengthFunc is length() as Terraform users know it: the number of
// characters of a string as well as the number of elements of a collection
// or structural value (go-cty's LengthFunc rejects strings).
var lengthFunc = function.New(&function.Spec{
	Params: []function.Parameter{{
		Name: "value", Type: cty.DynamicPseudoType,
		AllowDynamicType: true, AllowUnknown: true, AllowMarked: true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		if ty == cty.String || ty == cty.DynamicPseudoType || ty.IsCollectionType() || ty.IsTupleType() || ty.IsObjectType() {
			return cty.Number, nil
		}
		return cty.NilType, function.NewArgErrorf(0, "argument must be a string, a collection or a structural value, not %s", ty.FriendlyName())
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		ty := v.Type()
		switch {
		case ty == cty.DynamicPseudoType:
			return cty.UnknownVal(cty.Number).WithMarks(marks), nil
		case ty.IsTupleType():
			return cty.NumberIntVal(int64(len(ty.TupleElementTypes()))).WithMarks(marks), nil
		case ty.IsObjectType():
			return cty.NumberIntVal(int64(len(ty.AttributeTypes()))).WithMarks(marks), nil
		case ty == cty.String:
			n, err := stdlib.Strlen(v)
			return n.WithMarks(marks), err
		}
		if v.IsNull() {
			return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "argument must not be null")
		}
		return v.Length().WithMarks(marks), nil
	},
})

func stringFunc(name string, impl func(string) (string, error)) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: name, Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			s, err := impl(args[0].AsString())
			if err != nil {
				return cty.UnknownVal(cty.String), err
			}
			return cty.StringVal(s), nil
		},
	})
}

var base64EncodeFunc = stringFunc("str", func(s string) (string, error) {
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
})

var base64DecodeFunc = stringFunc("str", func(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("invalid base64: %w", err)
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("the decoded bytes are not valid UTF-8")
	}
	return string(b), nil
})

var urlEncodeFunc = stringFunc("str", func(s string) (string, error) {
	return url.QueryEscape(s), nil
})

func makeHashFunc(sum func([]byte) []byte) function.Function {
	return stringFunc("str", func(s string) (string, error) {
		return hex.EncodeToString(sum([]byte(s))), nil
	})
}

func stringPredicate(f func(s, part string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "part", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

var (
	startsWithFunc  = stringPredicate(strings.HasPrefix)
	endsWithFunc    = stringPredicate(strings.HasSuffix)
	strContainsFunc = stringPredicate(strings.Contains)
)

// makeEnvFunc returns env(name) or env(name, default): the value of an
// environment variable, the default (or "") when unset.
func makeEnvFunc(getenv func(string) string) function.Function {
	if getenv == nil {
		getenv = os.Getenv
	}
	return function.New(&function.Spec{
		Params:   []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam: &function.Parameter{Name: "default", Type: cty.String},
		Type:     function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.UnknownVal(cty.String), fmt.Errorf("env takes a name and at most one default")
			}
			if v := getenv(args[0].AsString()); v != "" {
				return cty.StringVal(v), nil
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return cty.StringVal(""), nil
		},
	})
}

// makeFileFunc returns file(path): a file's contents, path relative to dir,
// a regular file of at most limits.FileFuncBytes.
func makeFileFunc(ctx context.Context, dir string) function.Function {
	return stringFunc("path", func(p string) (string, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		b, err := limits.ReadFile(ctx, p, limits.FileFuncBytes)
		if err != nil {
			return "", fmt.Errorf("reading %s: %s", p, limits.Reason(err))
		}
		if !utf8.Valid(b) {
			return "", fmt.Errorf("%s is not valid UTF-8 text; use base64 payloads for binary data", p)
		}
		return string(b), nil
	})
}

var uuidFunc = function.New(&function.Spec{
	Type: function.StaticReturnType(cty.String),
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("uuid: %w", err)
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		h := hex.EncodeToString(b[:])
		return cty.StringVal(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]), nil
	},
})

var timestampFunc = function.New(&function.Spec{
	Type: function.StaticReturnType(cty.String),
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
		return cty.StringVal(time.Now().UTC().Format(time.RFC3339)), nil
	},
})

// fastCollectionFunc is tolist / toset with a fast path: a known tuple whose
// elements all have one primitive type converts directly. go-cty's general
// conversion unifies element types pairwise, which is quadratic and takes
// seconds for a for_each over ten thousand keys.
//
// The type of the fast path's result is the collection of the elements'
// type (what build gives: cty.ListVal and cty.SetVal take the type of
// their elements), found without building the collection twice.
func fastCollectionFunc(ty cty.Type, build func([]cty.Value) cty.Value) function.Function {
	slow := stdlib.MakeToFunc(ty)
	collection := cty.List
	if ty.IsSetType() {
		collection = cty.Set
	}
	return function.New(&function.Spec{
		Params: []function.Parameter{{
			Name: "v", Type: cty.DynamicPseudoType,
			AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true,
		}},
		Type: func(args []cty.Value) (cty.Type, error) {
			if elems, ok := homogeneous(args[0]); ok {
				return collection(elems[0].Type()), nil
			}
			return slow.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			if elems, ok := homogeneous(args[0]); ok {
				return build(elems), nil
			}
			return slow.Call(args)
		},
	})
}

// homogeneous returns the elements of a known, unmarked, non-empty tuple
// whose elements are all known, non-null values of one primitive type.
func homogeneous(v cty.Value) ([]cty.Value, bool) {
	if !v.Type().IsTupleType() || !v.IsKnown() || v.IsNull() || v.IsMarked() || v.LengthInt() == 0 {
		return nil, false
	}
	etys := v.Type().TupleElementTypes()
	first := etys[0]
	if !first.IsPrimitiveType() {
		return nil, false
	}
	for _, t := range etys[1:] {
		if t != first {
			return nil, false
		}
	}
	elems := v.AsValueSlice()
	for _, e := range elems {
		if !e.IsKnown() || e.IsNull() || e.IsMarked() {
			return nil, false
		}
	}
	return elems, true
}
