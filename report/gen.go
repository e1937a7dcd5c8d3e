package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
)

// MaxRows is the number of data rows a sheet can hold (Excel's limit of
// 1,048,576 rows less the header). A report that needs more fails with
// ErrTooManyRows.
const MaxRows = 1048575

// ErrTooManyRows is wrapped when a sheet would exceed MaxRows.
var ErrTooManyRows = errors.New("report: sheet exceeds the spreadsheet row limit")

// gen writes one report into one workbook.
type gen struct {
	ctx  context.Context
	st   Reader
	req  Request
	opts Options

	f      *excelize.File
	sheets int
	styles styles
	// freezeFirstCol freezes the first column too (pane at B2), as RVTools
	// does.
	freezeFirstCol bool
	// rsStore and rsParams are WriteRightSizing's store and params.
	rsStore  metrics.RightSizeStore
	rsParams *metrics.RightSizeParams
}

// styles are the cell styles of a workbook.
type styles struct {
	header, text, quoted, integer, dec2, dec4, pct, dateTime, date, rvDate int
}

func (g *gen) run(w io.Writer) (err error) {
	g.f = excelize.NewFile()
	defer func() {
		if cerr := g.f.Close(); cerr != nil && err == nil {
			err = &Error{Kind: g.req.Kind, Stage: StageWrite, Err: cerr}
		}
	}()
	if err := g.initStyles(); err != nil {
		return err
	}
	var build func() error
	switch g.req.Kind {
	case KindHourly:
		build = g.hourly
	case KindDaily:
		build = g.daily
	case KindMonthly:
		build = g.monthly
	case KindTotals:
		build = g.totals
	case KindTrace:
		build = g.trace
	case KindAsOf:
		build = g.asOf
	case KindChanges:
		build = g.changes
	case KindRVTools:
		build = g.rvtools
	case KindRightSizing:
		build = g.rightSizing
	default:
		return &Error{Kind: g.req.Kind, Stage: StageValidate, Field: "Kind", Err: ErrInvalidRequest}
	}
	if err := build(); err != nil {
		return err
	}
	if err := g.ctx.Err(); err != nil {
		return &Error{Kind: g.req.Kind, Stage: StageWrite, Err: err}
	}
	if err := g.f.SetDocProps(&excelize.DocProperties{
		Creator: "vinventory",
		Title:   g.title(),
		Created: g.opts.Clock().UTC().Format(time.RFC3339),
	}); err != nil {
		return g.writeErr(err)
	}
	if err := g.f.Write(w); err != nil {
		return g.writeErr(err)
	}
	return nil
}

func (g *gen) title() string {
	return "vinventory " + string(g.req.Kind) + " report"
}

func (g *gen) writeErr(err error) error {
	return &Error{Kind: g.req.Kind, Stage: StageWrite, Err: err}
}

func (g *gen) readErr(what string, err error) error {
	return &Error{Kind: g.req.Kind, Stage: StageRead, Err: fmt.Errorf("%s: %w", what, err)}
}

func (g *gen) noData(format string, args ...any) error {
	return &Error{Kind: g.req.Kind, Stage: StageRead, Err: fmt.Errorf("%w: "+format, append([]any{ErrNoData}, args...)...)}
}

func (g *gen) initStyles() error {
	f := g.f
	ptr := func(s string) *string { return &s }
	var err error
	mk := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(s)
		return id
	}
	g.styles = styles{
		header: mk(&excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
			Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
			Alignment: &excelize.Alignment{Vertical: "center"},
			NumFmt:    49,
		}),
		text:     mk(&excelize.Style{NumFmt: 49}),
		integer:  mk(&excelize.Style{NumFmt: 3}),  // #,##0
		dec2:     mk(&excelize.Style{NumFmt: 4}),  // #,##0.00
		pct:      mk(&excelize.Style{NumFmt: 10}), // 0.00%
		dec4:     mk(&excelize.Style{CustomNumFmt: ptr("#,##0.0000")}),
		dateTime: mk(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd hh:mm:ss")}),
		rvDate:   mk(&excelize.Style{CustomNumFmt: ptr("yyyy/MM/dd HH:mm:ss")}), // RVTools' date format
		date:     mk(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")}),
		// The quoted style differs from text by an explicit (default)
		// protection so that NewStyle does not merge the two; quotePrefix is
		// then set on its xf record, which excelize's Style cannot express.
		quoted: mk(&excelize.Style{NumFmt: 49, Protection: &excelize.Protection{Locked: true}}),
	}
	if err != nil {
		return g.writeErr(err)
	}
	if f.Styles == nil || f.Styles.CellXfs == nil || g.styles.quoted >= len(f.Styles.CellXfs.Xf) ||
		g.styles.quoted == g.styles.text {
		return g.writeErr(errors.New("cannot set quotePrefix on the quoted text style"))
	}
	yes := true
	f.Styles.CellXfs.Xf[g.styles.quoted].QuotePrefix = &yes
	return nil
}

// LooksLikeFormula reports whether a spreadsheet program could take s for
// a formula (or a DDE payload) when the cell is edited or re-imported: the
// reports write such text with a quote prefix, and the API's CSV prefixes
// it with an apostrophe.
func LooksLikeFormula(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return true
	}
	return false
}

// colKind is how a column's values are formatted.
type colKind int

const (
	cText     colKind = iota
	cInt              // integer, #,##0
	cDec2             // float, 2 decimals
	cPct              // ratio 0..1 shown as a percentage
	cDateTime         // time, yyyy-mm-dd hh:mm:ss in Options.Location
	cDate             // time, yyyy-mm-dd in Options.Location
	cBool             // TRUE/FALSE
	cRV               // RVTools column: text, or an integer (#,##0)
	cRVDate           // time, RVTools' yyyy/MM/dd HH:mm:ss in Options.Location
	cDec4             // float, 4 decimals
)

type col struct {
	name  string
	kind  colKind
	width float64 // 0 picks a width from kind and name
}

// sheet streams rows into one worksheet.
type sheet struct {
	g    *gen
	name string
	sw   *excelize.StreamWriter
	cols []col
	rows int // data rows written
	buf  []any
}

// newSheet creates a worksheet with a frozen, styled header row and
// column widths. Call close when its rows are written.
func (g *gen) newSheet(name string, cols []col) (*sheet, error) {
	var err error
	if g.sheets == 0 {
		err = g.f.SetSheetName("Sheet1", name)
	} else {
		_, err = g.f.NewSheet(name)
	}
	if err != nil {
		return nil, g.writeErr(err)
	}
	g.sheets++
	sw, err := g.f.NewStreamWriter(name)
	if err != nil {
		return nil, g.writeErr(err)
	}
	s := &sheet{g: g, name: name, sw: sw, cols: cols, buf: make([]any, len(cols))}
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.colWidth()); err != nil {
			return nil, g.writeErr(err)
		}
	}
	panes := &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}
	if g.freezeFirstCol {
		panes = &excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight",
			Selection: []excelize.Selection{{SQRef: "B2", ActiveCell: "B2", Pane: "bottomRight"}}}
	}
	if err := sw.SetPanes(panes); err != nil {
		return nil, g.writeErr(err)
	}
	hdr := make([]any, len(cols))
	for i, c := range cols {
		sid := g.styles.header
		if LooksLikeFormula(c.name) { // a custom attribute's name
			sid = g.styles.quoted
		}
		hdr[i] = excelize.Cell{StyleID: sid, Value: c.name}
	}
	if err := sw.SetRow("A1", hdr, excelize.RowOpts{Height: 20}); err != nil {
		return nil, g.writeErr(err)
	}
	return s, nil
}

func (c col) colWidth() float64 {
	if c.width > 0 {
		return c.width
	}
	w := float64(len(c.name)) + 4 // room for the filter button
	min := 12.0
	switch c.kind {
	case cText:
		min = 22
	case cDateTime:
		min = 20
	case cDate:
		min = 12
	case cBool:
		min = 10
	}
	return math.Max(w, min)
}

// add writes one data row; vals match the sheet's columns. Supported
// values: string, int, int64, float64, bool, time.Time (zero is left
// blank) and nil (blank).
func (s *sheet) add(vals ...any) error {
	if len(vals) != len(s.cols) {
		return s.g.writeErr(fmt.Errorf("sheet %s: %d values for %d columns", s.name, len(vals), len(s.cols)))
	}
	if s.rows >= MaxRows {
		return s.g.writeErr(fmt.Errorf("%w: sheet %s has more than %d rows", ErrTooManyRows, s.name, MaxRows))
	}
	if s.rows%1024 == 0 {
		if err := s.g.ctx.Err(); err != nil {
			return s.g.writeErr(err)
		}
	}
	st := &s.g.styles
	for i, v := range vals {
		k := s.cols[i].kind
		switch x := v.(type) { // the inventory's string enums are written as their text
		case inventory.PowerState:
			v = string(x)
		case inventory.EventKind:
			v = string(x)
		case inventory.LifecycleSource:
			v = string(x)
		}
		switch x := v.(type) {
		case nil:
			s.buf[i] = nil
		case string:
			switch {
			case x == "":
				s.buf[i] = nil
			case LooksLikeFormula(x):
				s.buf[i] = excelize.Cell{StyleID: st.quoted, Value: x}
			default:
				s.buf[i] = excelize.Cell{StyleID: st.text, Value: x}
			}
		case int:
			s.buf[i] = excelize.Cell{StyleID: s.numStyle(k), Value: x}
		case int64:
			s.buf[i] = excelize.Cell{StyleID: s.numStyle(k), Value: x}
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				s.buf[i] = nil
			} else {
				s.buf[i] = excelize.Cell{StyleID: s.numStyle(k), Value: round15(x)}
			}
		case bool:
			s.buf[i] = x
		case time.Time:
			if x.IsZero() {
				s.buf[i] = nil
			} else {
				sid := st.dateTime
				switch k {
				case cDate:
					sid = st.date
				case cRVDate:
					sid = st.rvDate
				}
				s.buf[i] = excelize.Cell{StyleID: sid, Value: x.In(s.g.opts.Location)}
			}
		default:
			return s.g.writeErr(fmt.Errorf("sheet %s column %s: unsupported value type %T", s.name, s.cols[i].name, v))
		}
	}
	s.rows++
	cell, err := excelize.CoordinatesToCellName(1, s.rows+1)
	if err != nil {
		return s.g.writeErr(err)
	}
	if err := s.sw.SetRow(cell, s.buf); err != nil {
		return s.g.writeErr(err)
	}
	return nil
}

func (s *sheet) numStyle(k colKind) int {
	st := &s.g.styles
	switch k {
	case cInt, cRV:
		return st.integer
	case cDec4:
		return st.dec4
	case cPct:
		return st.pct
	default:
		return st.dec2
	}
}

// close adds the autofilter over the header and data rows and flushes the
// sheet.
func (s *sheet) close() error {
	last, err := excelize.CoordinatesToCellName(len(s.cols), s.rows+1)
	if err != nil {
		return s.g.writeErr(err)
	}
	// The stream writer emits the worksheet's autoFilter element at Flush,
	// so setting it now covers the rows already streamed.
	if err := s.g.f.AutoFilter(s.name, "A1:"+last, nil); err != nil {
		return s.g.writeErr(err)
	}
	if err := s.sw.Flush(); err != nil {
		return s.g.writeErr(err)
	}
	return nil
}

// round15 rounds v to 15 significant digits, the precision spreadsheet
// programs keep; reports store floats rounded so (excelize would
// otherwise truncate the 16th and 17th digits instead of rounding).
func round15(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// zoneLabel is appended to time column names, e.g. " (UTC)".
func (g *gen) zoneLabel() string {
	return " (" + g.opts.Location.String() + ")"
}

// attrString renders attributes as "k=v; k=v" sorted by key.
func attrString(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(m[k])
	}
	return b.String()
}

// tierName is the tier of a pool for display ("" when untiered).
func (g *gen) tierName(pool string) string {
	return string(g.opts.Tiers.Of(pool))
}
