package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/report"
)

// csvType is the media type of CSV answers.
const csvType = "text/csv"

// csvFormat writes a list answer as CSV: a header row of the items' JSON
// field names, then one row per item with the same values as the JSON.
// Nested objects are flattened with dotted names (counts.vm_count);
// maps (attributes) and lists of objects are one cell of JSON; lists of
// text are joined with ";"; times are RFC 3339 UTC. Text a spreadsheet
// would evaluate (starting with =, +, -, @, a tab or a line break) gets an
// apostrophe in front, as the XLSX reports quote it. A non-list answer is
// one row.
var csvFormat = huma.Format{Marshal: marshalCSV, Unmarshal: func([]byte, any) error {
	return fmt.Errorf("api: CSV request bodies are not accepted")
}}

func marshalCSV(w io.Writer, v any) error {
	rv := reflect.Indirect(reflect.ValueOf(v))
	items := rv
	if rv.Kind() == reflect.Struct {
		if f := rv.FieldByName("Items"); f.IsValid() && f.Kind() == reflect.Slice {
			items = f
		} else {
			items = reflect.Append(reflect.MakeSlice(reflect.SliceOf(rv.Type()), 0, 1), rv)
		}
	}
	if items.Kind() != reflect.Slice {
		return fmt.Errorf("api: cannot write %T as CSV", v)
	}
	cols := csvColumns(items.Type().Elem(), "", nil)
	cw := csv.NewWriter(w)
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = c.name
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	row := make([]string, len(cols))
	for i := range items.Len() {
		it := items.Index(i)
		for j, c := range cols {
			row[j] = csvCell(c.value(it))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvColumn is one CSV column: its name and the field path to its value.
type csvColumn struct {
	name string
	path [][]int
}

func (c csvColumn) value(v reflect.Value) reflect.Value {
	for _, idx := range c.path {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}
			}
			v = v.Elem()
		}
		v = v.FieldByIndex(idx)
	}
	return v
}

var timeType = reflect.TypeFor[time.Time]()

// csvColumns lists t's columns: its JSON fields, embedded structs inline,
// nested structs flattened under their name.
func csvColumns(t reflect.Type, prefix string, path [][]int) []csvColumn {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType {
		return []csvColumn{{name: strings.TrimSuffix(prefix, "."), path: path}}
	}
	var out []csvColumn
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		p := append(append([][]int{}, path...), f.Index)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case f.Anonymous && name == "" && ft.Kind() == reflect.Struct:
			out = append(out, csvColumns(ft, prefix, p)...)
		case ft.Kind() == reflect.Struct && ft != timeType:
			if name == "" {
				name = f.Name
			}
			out = append(out, csvColumns(ft, prefix+name+".", p)...)
		default:
			if name == "" {
				name = f.Name
			}
			out = append(out, csvColumn{name: prefix + name, path: p})
		}
	}
	return out
}

// csvCell formats one value.
func csvCell(v reflect.Value) string {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return ""
	}
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	switch v.Kind() {
	case reflect.String:
		return inert(v.String())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			parts := make([]string, v.Len())
			for i := range parts {
				parts[i] = v.Index(i).String()
			}
			return inert(strings.Join(parts, ";"))
		}
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return ""
	}
	if s := string(b); s != "null" {
		return inert(s)
	}
	return ""
}

// inert keeps text a spreadsheet would evaluate from being a formula.
func inert(s string) string {
	if report.LooksLikeFormula(s) {
		return "'" + s
	}
	return s
}

// csvNextLink is a transformer: a CSV page has no place for next_cursor,
// so its link goes in a Link header (rel="next"), as GitHub's API pages.
func csvNextLink(ctx huma.Context, _ string, v any) (any, error) {
	if !strings.HasPrefix(ctx.Header("Accept"), csvType) {
		return v, nil
	}
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return v, nil
	}
	if f := rv.FieldByName("NextCursor"); f.IsValid() && f.Kind() == reflect.String && f.String() != "" {
		u := ctx.URL()
		q := u.Query()
		q.Set("cursor", f.String())
		q.Set("format", "csv")
		ctx.SetHeader("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, u.Path, q.Encode()))
	}
	return v, nil
}

// csvByQuery turns ?format=csv (or json) into the Accept header huma
// negotiates with, and drops the parameter.
func csvByQuery(r *http.Request) *http.Request {
	q := r.URL.Query()
	f, ok := q["format"]
	if !ok || len(f) != 1 || (f[0] != "csv" && f[0] != "json") {
		return r
	}
	r = r.Clone(r.Context())
	if f[0] == "csv" {
		r.Header.Set("Accept", csvType)
	} else {
		r.Header.Set("Accept", "application/json")
	}
	q.Del("format")
	u := *r.URL
	u.RawQuery = q.Encode()
	r.URL = &u
	return r
}
