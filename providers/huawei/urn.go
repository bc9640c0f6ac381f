package huawei

import (
	"fmt"
	"regexp"
	"strings"
)

// URN is a FunctionGraph function URN, full or in one of its short forms
// (PROTOCOLS.md §3.4); fields a short form leaves out are "".
type URN struct {
	Region, Project, Package, Name string
	Version                        string // "" when unqualified or an alias
	Alias                          string // without the "!"
}

// Name, package, version and alias rules as FunctionGraph documents them
// for its console and API (letters, digits, '_' and '-'; versions also '.').
var (
	nameRE    = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,59}$`)
	packageRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$`)
	versionRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,41}$`)
	aliasRE   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,62}$`)
	projectRE = regexp.MustCompile(`^[a-zA-Z0-9-]{1,64}$`)
)

// ParseURN parses a URN in any of the accepted forms: fn; pkg:fn;
// project:pkg:fn; project:pkg:fn:ver|!alias;
// urn:fss:region:project:function:pkg:fn[:ver|!alias].
func ParseURN(s string) (URN, error) {
	f := strings.Split(s, ":")
	var u URN
	var qual string
	switch len(f) {
	case 1:
		u.Name = f[0]
	case 2:
		u.Package, u.Name = f[0], f[1]
	case 3:
		u.Project, u.Package, u.Name = f[0], f[1], f[2]
	case 4:
		u.Project, u.Package, u.Name, qual = f[0], f[1], f[2], f[3]
	case 7, 8:
		if f[0] != "urn" || f[1] != "fss" || f[4] != "function" {
			return u, fmt.Errorf("invalid function URN %q: a full URN is urn:fss:REGION:PROJECT:function:PACKAGE:NAME[:VERSION|:!ALIAS]", s)
		}
		u.Region, u.Project, u.Package, u.Name = f[2], f[3], f[5], f[6]
		if len(f) == 8 {
			qual = f[7]
		}
	default:
		return u, fmt.Errorf("invalid function URN %q: it has %d fields; accepted are 1, 2, 3, 4, 7 or 8", s, len(f))
	}
	if a, ok := strings.CutPrefix(qual, "!"); ok {
		u.Alias = a
	} else {
		u.Version = qual
	}
	return u, u.check(s, len(f) == 4 || len(f) == 8)
}

func (u URN) check(s string, qualified bool) error {
	switch {
	case !nameRE.MatchString(u.Name):
		return fmt.Errorf("invalid function URN %q: function name %q must start with a letter and contain only letters, digits, '_' and '-' (at most 60)", s, u.Name)
	case u.Package != "" && !packageRE.MatchString(u.Package):
		return fmt.Errorf("invalid function URN %q: package %q must contain only letters, digits, '_' and '-' (at most 64)", s, u.Package)
	case u.Project != "" && !projectRE.MatchString(u.Project):
		return fmt.Errorf("invalid function URN %q: project id %q is not valid", s, u.Project)
	case qualified && u.Version == "" && u.Alias == "":
		return fmt.Errorf("invalid function URN %q: empty version", s)
	case u.Version != "" && !versionRE.MatchString(u.Version):
		return fmt.Errorf("invalid function URN %q: version %q must contain only letters, digits, '.', '_' and '-'", s, u.Version)
	case u.Alias != "" && !aliasRE.MatchString(u.Alias):
		return fmt.Errorf("invalid function URN %q: alias %q must start with a letter and contain only letters, digits, '_' and '-'", s, u.Alias)
	}
	return nil
}

// Qualifier is the version, or "!" + alias, or "".
func (u URN) Qualifier() string {
	if u.Alias != "" {
		return "!" + u.Alias
	}
	return u.Version
}

// String renders the URN: the full form when region and project are known,
// else project:package:name[:qualifier] (or shorter).
func (u URN) String() string {
	pkg := u.Package
	if pkg == "" {
		pkg = "default"
	}
	var s string
	switch {
	case u.Region != "" && u.Project != "":
		s = "urn:fss:" + u.Region + ":" + u.Project + ":function:" + pkg + ":" + u.Name
	case u.Project != "":
		s = u.Project + ":" + pkg + ":" + u.Name
	default:
		// Without a project the qualifier cannot be expressed in a short form.
		return pkg + ":" + u.Name
	}
	if q := u.Qualifier(); q != "" {
		s += ":" + q
	}
	return s
}
