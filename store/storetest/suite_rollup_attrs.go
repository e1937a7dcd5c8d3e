package storetest

import (
	"slices"
	"strings"

	"github.com/accessvault/vinventory/store"
)

// hostileAttributes are custom attributes and tags whose keys and values
// break naive JSON, SQL, CSV or HTML handling: quotes, a key holding `"`
// and `.` (a JSON path in some databases), formulas, HTML, unicode, a value
// that is itself JSON, empty keys and values and a long value.
func hostileAttributes() map[string]string {
	return map[string]string{
		`it's "quoted"`:         `say "hi" it's`,
		`k"e.y`:                 `a.b"c`,
		"tag:Cost Center":       "=1+1",
		"tag:owner":             "<script>alert(1)</script>",
		"ünïcødé ✓ 日本":          "RTL \u202eevil\u202c e\u0301 🖥️",
		"dotted.key.name":       `{"json": [1, "x"]}`,
		`back\slash`:            `\u0000 is not a NUL`,
		"":                      "empty key",
		"tag:empty":             "",
		"tag:" + `'; DROP --`:   strings.Repeat("é", 500),
		"line\nbreak\ttab\r\nx": "+SUM(A1:A2)",
	}
}

// testAttributes: rollup rows keep their Attributes exactly (hostile keys
// and values, empty maps read back as nil); re-writing a period replaces
// each row's attributes rather than merging them; the summary
// compatibility tables have no attributes (their rows read back nil); an
// attribute a backend cannot store (NUL byte, invalid UTF-8) is refused,
// naming the field, and changes nothing.
func (k rollupKit[T]) testAttributes(e *env) {
	p1 := k.periods[0]
	rows := k.build("vc-a", p1, 5, 21)
	k.roll(&rows[0]).Attributes = hostileAttributes()
	k.roll(&rows[1]).Attributes = nil
	k.roll(&rows[2]).Attributes = map[string]string{} // read back nil
	k.roll(&rows[3]).Attributes = map[string]string{"tag:env": strings.Repeat("long-value-", 100)}
	k.roll(&rows[4]).Attributes = map[string]string{"tag:env": "prod", "owner": "team-a"}
	k.mustWrite(e, "vc-a", p1, rows, e.compat)
	want := k.all(e.n, rows)
	if got := k.roll(&want[2]).Attributes; got != nil {
		e.t.Fatalf("norm kept an empty map: %v", got)
	}
	checkList(e.t, "Scan "+k.kind+" rollups with hostile attributes", want, k.scanAll(e, &store.ScanRollupsParams{}))
	key := k.roll(&rows[0]).VMKey
	checkList(e.t, "Scan "+k.kind+" rollups{VMKey} of the row with hostile attributes",
		filter(want, func(r T) bool { _, _, rk := k.parts(r); return rk == key }),
		k.scanAll(e, &store.ScanRollupsParams{VMKey: key}))
	if e.compat {
		got, err := k.readTable(e, &store.ScanCompatParams{Name: k.table(p1)})
		e.ok(err, "Read compat %s", k.kind)
		checkList(e.t, "compat table "+k.table(p1)+" (no attributes column: nil Attributes)", k.asCompat(want), got)
		for i := range got {
			if a := k.roll(&got[i]).Attributes; a != nil {
				e.t.Errorf("compat table %s row %d: Attributes %v, want nil", k.table(p1), i, a)
			}
		}
	}

	// Re-writing the period replaces each row's attributes: a tag removed
	// is gone, a row that loses all of them reads back nil.
	next := slices.Clone(rows)
	k.roll(&next[0]).Attributes = map[string]string{"tag:Cost Center": "=2+2"}
	k.roll(&next[1]).Attributes = map[string]string{"tag:env": "dev"}
	k.roll(&next[4]).Attributes = nil
	k.mustWrite(e, "vc-a", p1, next, e.compat)
	checkList(e.t, "Scan "+k.kind+" rollups after re-writing the period with other attributes", k.all(e.n, next),
		k.scanAll(e, &store.ScanRollupsParams{}))

	before := e.dump()
	for _, c := range []struct {
		name  string
		attrs map[string]string
	}{
		{"NUL byte in an attribute value", map[string]string{"tag:env": "pr\x00od"}},
		{"NUL byte in an attribute key", map[string]string{"tag:\x00": "x"}},
		{"invalid UTF-8 in an attribute value", map[string]string{"owner": "\xff\xfe"}},
	} {
		bad := slices.Clone(next)
		k.roll(&bad[3]).Attributes = c.attrs
		ipe := wantInvalid(e.t, k.write(e, "vc-a", p1, bad, e.compat, 2), k.op, c.name)
		if ipe != nil && ipe.Field != "Rows[3].Attributes" {
			e.t.Errorf("%s with a %s: field %q, want %q", k.op, c.name, ipe.Field, "Rows[3].Attributes")
		}
		e.unchanged(before, "%s with a %s", k.op, c.name)
	}
}
