package api

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/store/driver"
)

// ListQuery is the text filter and sort of the lists the store returns
// whole (hosts, clusters, datastores, networks, resource pools: hundreds,
// not tens of thousands), applied in Go.
type ListQuery struct {
	Q    string `query:"q" maxLength:"256" doc:"Substring of the name (ASCII case-insensitive, as /api/vms)."`
	Sort string `query:"sort" default:"name" maxLength:"64" doc:"A field of the items (the document lists them), with - for descending; ties keep (vcenter, id) order."`
}

// sortFields returns T's sortable fields: the JSON names of its text,
// number, boolean and time fields.
func sortFields[T any]() []string {
	t := reflect.TypeFor[T]()
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		switch k := f.Type.Kind(); {
		case f.Type == timeType, k == reflect.String, k == reflect.Bool, k >= reflect.Int && k <= reflect.Float64:
			out = append(out, name)
		}
	}
	return out
}

// fieldByJSON returns the index of T's field with that JSON name.
func fieldByJSON(t reflect.Type, name string) int {
	for i := range t.NumField() {
		if n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); n == name {
			return i
		}
	}
	return -1
}

func compareValues(a, b reflect.Value) int {
	if a.Type() == timeType {
		return a.Interface().(time.Time).Compare(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.String:
		return strings.Compare(a.String(), b.String())
	case reflect.Bool:
		return cmp.Compare(btoi(a.Bool()), btoi(b.Bool()))
	case reflect.Float32, reflect.Float64:
		return cmp.Compare(a.Float(), b.Float())
	default:
		return cmp.Compare(a.Int(), b.Int())
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// queryList filters and sorts a small list.
func queryList[T any](items []T, lq ListQuery, name func(T) string) ([]T, error) {
	if lq.Q != "" {
		sub := driver.FoldASCII(lq.Q)
		items = keep(items, func(x T) bool { return driver.ContainsFold(name(x), sub) })
	}
	field, desc := strings.CutPrefix(lq.Sort, "-")
	if field == "" {
		field = "name"
	}
	if !slices.Contains(sortFields[T](), field) {
		return nil, invalid("sort", fmt.Sprintf("%q is not a sort field of this list (%s, each with - for descending)", lq.Sort, strings.Join(sortFields[T](), ", ")))
	}
	i := fieldByJSON(reflect.TypeFor[T](), field)
	slices.SortStableFunc(items, func(a, b T) int {
		c := compareValues(reflect.ValueOf(a).Field(i), reflect.ValueOf(b).Field(i))
		if desc {
			return -c
		}
		return c
	})
	return items, nil
}

// declareSorts lists a list's sort values in the document: each field,
// ascending or (with "-") descending. The handlers check them (huma reads
// enums only from struct tags, and these come from the types).
func declareSorts(doc *huma.OpenAPI, path string, fields []string) {
	item := doc.Paths[path]
	if item == nil || item.Get == nil {
		return
	}
	var enum []any
	for _, f := range fields {
		enum = append(enum, f, "-"+f)
	}
	for _, p := range item.Get.Parameters {
		if p.Name == "sort" && p.In == "query" && p.Schema != nil {
			p.Schema.Enum = enum
		}
	}
}
