package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/report"
)

// maxExportPages bounds an export: 200 pages of exportPageSize rows.
const maxExportPages = 200

// exportPageSize is the rows an export asks the API for at a time (the
// API's maximum; tests lower it to cross pages).
var exportPageSize = 1000

var nextLink = regexp.MustCompile(`<([^>]*)>;\s*rel="next"`)

// exportRows reads every row of an API list under query q as CSV: the
// header, then the rows of each page, following the next links.
func (p *page) exportRows(apiPath string, q url.Values) ([][]string, error) {
	q = cloneQuery(q)
	q.Del("format")
	q.Del("cursor")
	q.Del("msg")
	q.Set("limit", strconv.Itoa(exportPageSize))
	var rows [][]string
	for range maxExportPages {
		res, err := p.s.api.Call(p.r.Context(), p.v.Principal, p.remote(), http.MethodGet, apiPath+"?"+q.Encode(), nil, "text/csv")
		if err != nil {
			return nil, err
		}
		if pr := res.Problem(); pr != nil {
			return nil, pr
		}
		recs, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
		if err != nil {
			return nil, fmt.Errorf("web: reading the API's CSV: %w", err)
		}
		if len(rows) > 0 && len(recs) > 0 {
			recs = recs[1:] // the header again
		}
		rows = append(rows, recs...)
		m := nextLink.FindStringSubmatch(res.Header.Get("Link"))
		if m == nil {
			return rows, nil
		}
		u, err := url.Parse(m[1])
		if err != nil {
			return nil, fmt.Errorf("web: the API's next link: %w", err)
		}
		q.Set("cursor", u.Query().Get("cursor"))
	}
	return nil, fmt.Errorf("web: the export has more than %d rows; narrow the filter", maxExportPages*exportPageSize)
}

// export answers ?format=csv or ?format=xlsx of a list page: every row of
// the API list apiPath under the page's filter q (the API's parameters),
// not only the page shown. It reports whether the request was an export.
func (p *page) export(apiPath, name string, q url.Values) (bool, error) {
	format := p.r.URL.Query().Get("format")
	if format != "csv" && format != "xlsx" {
		return false, nil
	}
	rows, err := p.exportRows(apiPath, q)
	if err != nil {
		return true, err
	}
	h := p.w.Header()
	h.Set("Cache-Control", "no-store")
	if format == "csv" {
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		_ = cw.WriteAll(rows) // already inert: the API quoted formula-like text
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
		_, _ = p.w.Write(buf.Bytes())
		return true, nil
	}
	cells := make([][]any, len(rows))
	for i, rec := range rows {
		cells[i] = make([]any, len(rec))
		for j, v := range rec {
			if i == 0 {
				cells[i][j] = v
			} else {
				cells[i][j] = cellValue(v)
			}
		}
	}
	b, err := xlsxOf(name, cells)
	if err != nil {
		return true, err
	}
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.xlsx"`, name))
	_, _ = p.w.Write(b)
	return true, nil
}

// xlsxOf writes rows as a one-sheet workbook, the first row a bold,
// frozen header; values keep their type (a string is a text cell, never
// a formula, whatever it starts with).
func xlsxOf(sheet string, rows [][]any) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, fmt.Errorf("web: xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, fmt.Errorf("web: xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, fmt.Errorf("web: xlsx: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("web: xlsx: %w", err)
	}
	for i, rec := range rows {
		cells := rec
		if i == 0 {
			cells = make([]any, len(rec))
			for j, v := range rec {
				cells[j] = excelize.Cell{StyleID: bold, Value: v}
			}
		}
		axis, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(axis, cells); err != nil {
			return nil, fmt.Errorf("web: xlsx row %d: %w", i+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, fmt.Errorf("web: xlsx: %w", err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("web: xlsx: %w", err)
	}
	return buf.Bytes(), nil
}

// cellValue is a CSV cell as an XLSX value: a number when it is one (the
// API's numbers), else the text (a cell the API quoted as formula-like
// gets its original text back: a text cell keeps it inert).
func cellValue(s string) any {
	if rest, ok := strings.CutPrefix(s, "'"); ok && report.LooksLikeFormula(rest) {
		s = rest
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && s != "" && !strings.ContainsAny(s, "eExXnN") &&
		!(len(s) > 1 && s[0] == '0' && s[1] != '.') {
		return v
	}
	return s // a string cell: never evaluated, whatever it starts with
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
