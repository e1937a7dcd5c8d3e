package inventory_test

import (
	"strings"
	"testing"

	"github.com/accessvault/vinventory/inventory"
)

func TestScopeMatcher(t *testing.T) {
	vm := func(name, folder string, attrs map[string]string) *inventory.VM {
		return &inventory.VM{Name: name, Folder: folder, Attributes: attrs}
	}
	web := vm("web-01", "/DC1/vm/Prod/web", map[string]string{"tag:env": "prod", "owner": "ops"})
	tmp := vm("tmp-build-7", "/DC1/vm/Test", map[string]string{"tag:env": "dev"})
	testing2 := vm("db", "/DC1/vm/Testing", nil)
	cases := []struct {
		name  string
		scope inventory.Scope
		vm    *inventory.VM
		out   bool
		why   string
	}{
		{"no rules", inventory.Scope{}, web, false, ""},
		{"folder itself", inventory.Scope{Exclude: []inventory.ScopeRule{{Folder: "/DC1/vm/Test"}}}, tmp, true, "exclude folder=/DC1/vm/Test"},
		{"folder below", inventory.Scope{Exclude: []inventory.ScopeRule{{Folder: "/DC1/vm/Prod"}}}, web, true, "exclude folder=/DC1/vm/Prod"},
		{"folder prefix is not a parent", inventory.Scope{Exclude: []inventory.ScopeRule{{Folder: "/DC1/vm/Test"}}}, testing2, false, ""},
		{"folder with slash", inventory.Scope{Exclude: []inventory.ScopeRule{{Folder: "/DC1/vm/Test/"}}}, tmp, true, "exclude folder=/DC1/vm/Test/"},
		{"tag value", inventory.Scope{Exclude: []inventory.ScopeRule{{Attribute: "tag:env=dev"}}}, tmp, true, "exclude attribute=tag:env=dev"},
		{"tag other value", inventory.Scope{Exclude: []inventory.ScopeRule{{Attribute: "tag:env=dev"}}}, web, false, ""},
		{"attribute any value", inventory.Scope{Exclude: []inventory.ScopeRule{{Attribute: "owner"}}}, web, true, "exclude attribute=owner"},
		{"attribute missing", inventory.Scope{Exclude: []inventory.ScopeRule{{Attribute: "owner"}}}, tmp, false, ""},
		{"name regexp", inventory.Scope{Exclude: []inventory.ScopeRule{{Name: "^tmp-"}}}, tmp, true, "exclude name=^tmp-"},
		{"all fields must match", inventory.Scope{Exclude: []inventory.ScopeRule{{Folder: "/DC1/vm/Test", Name: "^web"}}}, tmp, false, ""},
		{"not included", inventory.Scope{Include: []inventory.ScopeRule{{Attribute: "tag:env=prod"}}}, tmp, true, "not included"},
		{"included", inventory.Scope{Include: []inventory.ScopeRule{{Attribute: "tag:env=prod"}}}, web, false, ""},
		{"included then excluded", inventory.Scope{Include: []inventory.ScopeRule{{Folder: "/DC1"}}, Exclude: []inventory.ScopeRule{{Name: "web"}}}, web, true, "exclude name=web"},
	}
	for _, c := range cases {
		m, err := c.scope.Matcher()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		why, out := m.Excludes(c.vm)
		if out != c.out || why != c.why {
			t.Errorf("%s: Excludes(%s) = %q, %v; want %q, %v", c.name, c.vm.Name, why, out, c.why, c.out)
		}
	}
}

func TestScopeValidateAndParse(t *testing.T) {
	bad := inventory.Scope{Include: []inventory.ScopeRule{{Folder: "vm/Test"}}, Exclude: []inventory.ScopeRule{{Name: "ok"}, {Name: "(x"}, {}, {Attribute: "=v"}}}
	err := bad.Validate()
	fields := inventory.FieldErrors(err)
	var names []string
	for _, f := range fields {
		names = append(names, f.Field)
	}
	if strings.Join(names, ",") != "scope.include[0],scope.exclude[1],scope.exclude[2],scope.exclude[3]" {
		t.Errorf("Validate fields %v (%v)", names, err)
	}
	if _, err := bad.Matcher(); err == nil {
		t.Error("Matcher of an invalid scope: no error")
	}
	r, err := inventory.ParseScopeRule(" folder=/DC1/vm/Test  name=^tmp-  attribute=tag:env=dev ")
	if err != nil || r != (inventory.ScopeRule{Folder: "/DC1/vm/Test", Name: "^tmp-", Attribute: "tag:env=dev"}) {
		t.Fatalf("ParseScopeRule = %+v, %v", r, err)
	}
	if back, err := inventory.ParseScopeRule(r.String()); err != nil || back != r {
		t.Errorf("ParseScopeRule(String()) = %+v, %v; want %+v", back, err, r)
	}
	for _, s := range []string{"", "folder", "colour=red", "name=(x", "folder=relative"} {
		if _, err := inventory.ParseScopeRule(s); err == nil {
			t.Errorf("ParseScopeRule(%q): no error", s)
		}
	}
}
