package inventory

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Scope says which VMs of an endpoint are captured. A VM is in scope when
// Include is empty or one of its rules matches, and no Exclude rule
// matches. VMs out of scope are left out of the snapshot (no sample, no
// latest state, no detail) but never deleted: reconcile records an
// out_of_scope event when a known VM leaves the scope and an in_scope
// event when it comes back, and its history continues (SEMANTICS §3).
// Hosts, clusters, datastores, networks and pools are always captured.
type Scope struct {
	Include []ScopeRule `json:"include,omitempty"`
	Exclude []ScopeRule `json:"exclude,omitempty"`
}

// ScopeRule matches a VM when every field it sets matches; a rule that
// sets none is invalid.
type ScopeRule struct {
	// Folder matches VMs in this folder or below it, by full folder path
	// (as VM.Folder holds it, e.g. "/DC1/vm/Test").
	Folder string `json:"folder,omitempty"`
	// Attribute matches a custom attribute or tag: "key=value", or "key"
	// for any value. Tags are "tag:<category>=<tag>", as VM.Attributes
	// holds them.
	Attribute string `json:"attribute,omitempty"`
	// Name is a regular expression (Go RE2 syntax) the VM's name must
	// match, e.g. "^tmp-".
	Name string `json:"name,omitempty"`
}

// IsZero reports whether s has no rules (every VM is in scope).
func (s Scope) IsZero() bool { return len(s.Include) == 0 && len(s.Exclude) == 0 }

// String renders the rule as ParseScopeRule reads it, e.g.
// `folder=/DC1/vm/Test name=^tmp-`.
func (r ScopeRule) String() string {
	var parts []string
	if r.Folder != "" {
		parts = append(parts, "folder="+r.Folder)
	}
	if r.Attribute != "" {
		parts = append(parts, "attribute="+r.Attribute)
	}
	if r.Name != "" {
		parts = append(parts, "name="+r.Name)
	}
	return strings.Join(parts, " ")
}

// ParseScopeRule reads a rule written as space-separated "field=value"
// pairs: folder=<path>, attribute=<key>[=<value>], name=<regexp>, e.g.
// "folder=/DC1/vm/Test" or "attribute=tag:env=dev". Values cannot contain
// spaces; build a ScopeRule directly for those.
func ParseScopeRule(s string) (ScopeRule, error) {
	var r ScopeRule
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return r, fmt.Errorf("empty scope rule")
	}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return r, fmt.Errorf("scope rule %q: %q is not field=value", s, f)
		}
		switch k {
		case "folder":
			r.Folder = v
		case "attribute":
			r.Attribute = v
		case "name":
			r.Name = v
		default:
			return r, fmt.Errorf("scope rule %q: unknown field %q (folder, attribute or name)", s, k)
		}
	}
	return r, r.validate()
}

func (r ScopeRule) validate() error {
	if r.Folder == "" && r.Attribute == "" && r.Name == "" {
		return fmt.Errorf("a rule must set folder, attribute or name")
	}
	if r.Folder != "" && !strings.HasPrefix(r.Folder, "/") {
		return fmt.Errorf("folder %q must be a full path starting with /", r.Folder)
	}
	if r.Attribute != "" && strings.HasPrefix(r.Attribute, "=") {
		return fmt.Errorf("attribute %q has no key", r.Attribute)
	}
	if r.Name != "" {
		if _, err := regexp.Compile(r.Name); err != nil {
			return fmt.Errorf("name %q is not a valid regular expression: %w", r.Name, err)
		}
	}
	return nil
}

// Validate checks every rule; its errors are *FieldError naming the rule
// ("scope.exclude[1]").
func (s Scope) Validate() error {
	var errs []error
	for _, set := range []struct {
		name  string
		rules []ScopeRule
	}{{"include", s.Include}, {"exclude", s.Exclude}} {
		for i, r := range set.rules {
			if err := r.validate(); err != nil {
				errs = append(errs, &FieldError{Field: fmt.Sprintf("scope.%s[%d]", set.name, i), Reason: err.Error()})
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// ScopeMatcher applies a validated Scope to VMs.
type ScopeMatcher struct {
	include, exclude []compiledRule
}

type compiledRule struct {
	rule      ScopeRule
	name      *regexp.Regexp
	key, val  string
	anyValue  bool
	folderDir string
}

// Matcher compiles s; it fails as Validate does.
func (s Scope) Matcher() (*ScopeMatcher, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	compile := func(rules []ScopeRule) []compiledRule {
		out := make([]compiledRule, len(rules))
		for i, r := range rules {
			c := compiledRule{rule: r, folderDir: strings.TrimSuffix(r.Folder, "/") + "/"}
			if r.Name != "" {
				c.name = regexp.MustCompile(r.Name)
			}
			if r.Attribute != "" {
				c.key, c.val, _ = strings.Cut(r.Attribute, "=")
				c.anyValue = !strings.Contains(r.Attribute, "=")
			}
			out[i] = c
		}
		return out
	}
	return &ScopeMatcher{include: compile(s.Include), exclude: compile(s.Exclude)}, nil
}

func (c *compiledRule) matches(vm *VM) bool {
	if c.rule.Folder != "" && vm.Folder != strings.TrimSuffix(c.folderDir, "/") && !strings.HasPrefix(vm.Folder, c.folderDir) {
		return false
	}
	if c.rule.Attribute != "" {
		v, ok := vm.Attributes[c.key]
		if !ok || (!c.anyValue && v != c.val) {
			return false
		}
	}
	if c.name != nil && !c.name.MatchString(vm.Name) {
		return false
	}
	return true
}

// Excludes reports whether vm is out of scope and, if so, why: the
// exclude rule that matched, or "not included" when include rules exist
// and none matched.
func (m *ScopeMatcher) Excludes(vm *VM) (reason string, out bool) {
	if m == nil {
		return "", false
	}
	if len(m.include) > 0 {
		in := false
		for i := range m.include {
			if m.include[i].matches(vm) {
				in = true
				break
			}
		}
		if !in {
			return "not included", true
		}
	}
	for i := range m.exclude {
		if m.exclude[i].matches(vm) {
			return "exclude " + m.exclude[i].rule.String(), true
		}
	}
	return "", false
}

// ExcludedVM is a VM an endpoint's scope left out of one snapshot. Stores
// keep them per snapshot with the host, cluster and datastore history
// (store.EntityHistory), so reconcile tells a VM out of scope from a
// deleted one.
type ExcludedVM struct {
	Vcenter string `json:"vcenter"`
	VMID    string `json:"vm_id"`
	VMUUID  string `json:"vm_uuid"`
	Name    string `json:"name"`
	// Reason is the rule that excluded it (see ScopeMatcher.Excludes).
	Reason       string    `json:"reason"`
	SnapshotTime time.Time `json:"snapshot_time"`
}
