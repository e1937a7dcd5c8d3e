package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// Col is a table column: its title and, when sortable, the API's sort
// field.
type Col struct {
	Title string
	Sort  string
	Num   bool
}

// Cell is one table cell (or a field's value): text, a link when Href is
// set, a coloured badge when Badge is set (success, warning, danger,
// neutral).
type Cell struct {
	Text  string
	Href  string
	Badge string
	Title string
	Num   bool
	// Live names the JSON field of the row (e.g. "power_state") a live
	// change updates in place; empty for a cell that stays.
	Live string
}

// Row is a table row; Key identifies it (live updates flash it).
type Row struct {
	Key   string
	Cells []Cell
}

// Table is a server-sorted, filtered and paginated table.
type Table struct {
	// Entity is the inventory.EntityType of the rows (keyed
	// "<vcenter>/<id>"): live changes of those objects flash them.
	Entity string
	// Label names the table for assistive technology (its caption).
	Label string
	// Path is the page the table lives on; Query its current filters and
	// sort (the cursor is not kept: sorting or filtering starts over).
	Path  string
	Query url.Values
	Cols  []Col
	Rows  []Row
	Sort  string
	// Next is the next page's cursor; Paged that this is not the first
	// page.
	Next  string
	Paged bool
	Total *int
	// Export offers CSV and XLSX downloads of every row of the filter.
	Export bool
	Empty  string
}

func (t *Table) with(set map[string]string) string {
	q := url.Values{}
	for k, v := range t.Query {
		if k != "cursor" && k != "msg" {
			q[k] = v
		}
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return t.Path
	}
	return t.Path + "?" + q.Encode()
}

// SortURL is the link of a column header: ascending, or descending when
// the column is the ascending sort already.
func (t *Table) SortURL(c Col) string {
	if t.Sort == c.Sort {
		return t.with(map[string]string{"sort": "-" + c.Sort})
	}
	return t.with(map[string]string{"sort": c.Sort})
}

// AriaSort is the column's aria-sort value.
func (t *Table) AriaSort(c Col) string {
	switch t.Sort {
	case c.Sort:
		return "ascending"
	case "-" + c.Sort:
		return "descending"
	}
	return "none"
}

// SortMark is the arrow shown beside a sorted column's title.
func (t *Table) SortMark(c Col) string {
	switch t.AriaSort(c) {
	case "ascending":
		return "▲"
	case "descending":
		return "▼"
	}
	return ""
}

// NextURL is the next page's link.
func (t *Table) NextURL() string {
	u := t.with(nil)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "cursor=" + url.QueryEscape(t.Next)
}

// FirstURL is the first page's link.
func (t *Table) FirstURL() string { return t.with(nil) }

// ExportURL downloads the filter's rows as format (csv or xlsx).
func (t *Table) ExportURL(format string) string {
	return t.with(map[string]string{"format": format})
}

// Option is a choice of a select filter.
type Option struct{ Value, Label string }

// Filter is one input of a table's filter form.
type Filter struct {
	Name, Label, Value, Placeholder string
	// Options make the filter a select (the first option is "any").
	Options []Option
	// Type is the input type for a text filter (text, date, datetime-local,
	// month). Defaults to search.
	Type string
}

// Field is a labelled value on a detail card.
type Field struct {
	Label string
	Cell  Cell
}

// Card is a titled list of fields.
type Card struct {
	Title  string
	Fields []Field
}

// KPI is a headline figure.
type KPI struct {
	Label, Value, Note string
	// Live names the counter live changes move ("vms", "powered_on");
	// empty for one that stays.
	Live string
	// Meter, when set, shows a fraction (0..1) as a bar.
	Meter *float64
}

// Chart is a time series chart: X in Unix seconds, one Y series per
// label (nil is a gap). It renders with uPlot; the figure's caption and
// the table near it carry the same data for people who cannot see it.
type Chart struct {
	ID     string       `json:"-"`
	Title  string       `json:"title"`
	Desc   string       `json:"-"`
	Series []string     `json:"series"`
	Units  string       `json:"units"`
	Bars   bool         `json:"bars,omitempty"`
	X      []int64      `json:"x"`
	Y      [][]*float64 `json:"y"`
	// Dash draws a series dashed (a max line next to its average).
	Dash []bool `json:"dash,omitempty"`
	// Metrics, on a utilisation chart, name the bucket figure each Y
	// series shows: the page script redraws the chart from /api/metrics.
	Metrics []ChartMetric `json:"metrics,omitempty"`
}

// num formats a number with thousands separators and at most d decimals.
func num(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	s := strconv.FormatFloat(v, 'f', d, 64)
	if d > 0 {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// inum formats an integer.
func inum[T ~int | ~int64](v T) string { return num(float64(v), 0) }

// gb formats a size in GB (TB above 10,000 GB).
func gb(v float64) string {
	if v >= 10000 {
		return num(v/1024, 1) + " TB"
	}
	return num(v, 1) + " GB"
}

// pct formats a fraction as a percentage.
func pct(f float64) string { return num(f*100, 1) + " %" }

// when formats a time in the page's location ("–" for zero).
func (p *page) when(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.In(p.s.o.Location).Format("2006-01-02 15:04")
}

// ago says how long before now t was.
func (p *page) ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := p.s.o.Clock().Sub(t)
	switch {
	case d < 0:
		return p.when(t)
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// seconds formats a duration in seconds.
func seconds(s float64) string {
	if s < 10 {
		return num(s, 2) + " s"
	}
	return num(s, 0) + " s"
}

// fp is a float pointer (chart points).
func fp(v float64) *float64 { return &v }

// text is a plain cell; link a linked one.
func text(s string) Cell        { return Cell{Text: s} }
func link(s, href string) Cell  { return Cell{Text: s, Href: href} }
func numCell(s string) Cell     { return Cell{Text: s, Num: true} }
func badge(s, kind string) Cell { return Cell{Text: s, Badge: kind} }

// pathEsc escapes one path segment of a page link.
func pathEsc(s string) string { return url.PathEscape(s) }

func errorTitle(status int) string {
	switch status {
	case 401, 403:
		return "Not allowed"
	case 404:
		return "Not found"
	}
	if status >= 500 {
		return "Something went wrong"
	}
	return "Cannot show this"
}

func colspan(t *Table) string { return strconv.Itoa(max(1, len(t.Cols))) }

func emptyText(t *Table) string {
	if t.Empty != "" {
		return t.Empty
	}
	return "Nothing matches."
}

func inputType(f Filter) string {
	if f.Type != "" {
		return f.Type
	}
	return "search"
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

// current reports whether the nav item at path is the page shown.
func (p *page) current(path string) bool {
	if path == "/" {
		return p.r.URL.Path == "/"
	}
	return p.r.URL.Path == path || strings.HasPrefix(p.r.URL.Path, path+"/")
}

// groupSections puts consecutive grid sections together.
func groupSections(secs []Section) [][]Section {
	var out [][]Section
	for _, s := range secs {
		if n := len(out); s.Grid && n > 0 && out[n-1][0].Grid {
			out[n-1] = append(out[n-1], s)
			continue
		}
		out = append(out, []Section{s})
	}
	return out
}

func sectionLabel(s Section) string {
	if s.Title != "" {
		return s.Title
	}
	if s.Table != nil {
		return s.Table.Label
	}
	if len(s.Cards) > 0 {
		return s.Cards[0].Title
	}
	if len(s.Filters) > 0 {
		return "Filters"
	}
	return "Figures"
}

func tabURL(path, param, value string, keep url.Values) string {
	q := cloneQuery(keep)
	q.Set(param, value)
	return path + "?" + q.Encode()
}

// liveCell marks c as updated in place by live changes of field.
func liveCell(c Cell, field string) Cell {
	c.Live = field
	return c
}

// liveObject is a page's LiveObject.
func liveObject(e inventory.EntityType, vc, id string) string {
	b, _ := json.Marshal(map[string]string{"entity": string(e), "vcenter": vc, "id": id})
	return string(b)
}
