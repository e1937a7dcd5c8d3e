package report_test

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
)

// libreOffice returns the LibreOffice binary or skips the test.
func libreOffice(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"libreoffice", "soffice"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("LibreOffice not found on PATH: install it (Debian/Ubuntu: apt-get install -y libreoffice-calc) to check the reports open in a spreadsheet program")
	return ""
}

// Dates show as yyyy-mm-dd[ hh:mm:ss], RVTools workbooks as yyyy/MM/dd HH:mm:ss.
var dateShown = regexp.MustCompile(`^\d{4}[-/]\d{2}[-/]\d{2}( \d{2}:\d{2}:\d{2})?$`)

// TestLibreOffice converts every report kind to CSV with LibreOffice (all
// sheets) and checks that each cell shows the value written: hostile
// strings literally (never evaluated as formulas), numbers as the stored
// numbers, dates as the dates shown.
func TestLibreOffice(t *testing.T) {
	lo := libreOffice(t)
	if testing.Short() {
		t.Skip("LibreOffice conversion is slow")
	}
	st := newSeeded(t)
	dir := t.TempDir()
	march := inventory.MonthOf(day1, time.UTC)
	reqs := []report.Request{
		{Kind: report.KindHourly, Vcenter: vcB, SnapshotTime: snaps[1]},
		{Kind: report.KindDaily, Period: day1},
		{Kind: report.KindMonthly, Period: day1},
		{Kind: report.KindTotals, Granularity: inventory.Hourly, From: march.Start, To: march.End},
		{Kind: report.KindAsOf, Vcenter: vcB, SnapshotTime: snaps[2].Add(time.Minute)},
		{Kind: report.KindChanges, From: snaps[0], To: snaps[2]},
		{Kind: report.KindRVTools},
		{Kind: report.KindRVTools, Vcenter: vcB, SnapshotTime: snaps[1]},
	}
	var files []string
	for _, req := range reqs {
		p, err := report.WriteFile(context.Background(), st, req, dir, report.Options{})
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	// The RVTools workbook with every detail sheet filled.
	p, err := report.WriteFile(context.Background(), rvFixture(t), report.Request{Kind: report.KindRVTools, Vcenter: rvVC}, dir, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, p)
	out := filepath.Join(dir, "csv")
	profile := "file://" + filepath.Join(t.TempDir(), "lo-profile")
	// Filter options: comma, double quote, UTF-8, from row 1, default
	// column formats, default language, quoted fields not as text, detect
	// special numbers, cell contents not as shown, export formulas off,
	// no BOM, and -1: every sheet to its own file (LibreOffice >= 7.2).
	filter := "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"-env:UserInstallation=" + profile, "--headless", "--norestore", "--convert-to", filter, "--outdir", out}, files...)
	cmd := exec.CommandContext(ctx, lo, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", lo, err, b)
	}
	checked := 0
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b := openBook(t, data, nil)
		base := strings.TrimSuffix(filepath.Base(p), ".xlsx")
		for i, sheet := range b.sheets() {
			csvPath := filepath.Join(out, base+"-"+sheet+".csv")
			if _, err := os.Stat(csvPath); err != nil {
				if i > 0 {
					t.Logf("%s: only the first sheet was exported (LibreOffice older than 7.2)", base)
					break
				}
				csvPath = filepath.Join(out, base+".csv")
			}
			compareCSV(t, b, sheet, csvPath)
			checked++
		}
	}
	if checked < len(reqs) {
		t.Errorf("checked %d sheets", checked)
	}
}

func compareCSV(t *testing.T, b *book, sheet, path string) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rows, err := b.f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(rows) {
		t.Fatalf("%s: %d CSV lines, %d rows", path, len(recs), len(rows))
	}
	for ri, row := range rows {
		for ci, raw := range row {
			var got string
			if ci < len(recs[ri]) {
				got = recs[ri][ci]
			}
			cell, _ := excelize.CoordinatesToCellName(ci+1, ri+1)
			typ, _ := b.f.GetCellType(sheet, cell)
			shown, _ := b.f.GetCellValue(sheet, cell)
			switch {
			case raw == "":
				if got != "" {
					t.Errorf("%s!%s: LibreOffice shows %q for an empty cell", sheet, cell, got)
				}
			case typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString:
				// LibreOffice's CSV export writes line breaks as LF.
				if want := strings.ReplaceAll(raw, "\r\n", "\n"); got != want && got != strings.ReplaceAll(want, "\r", "\n") {
					t.Errorf("%s!%s: LibreOffice shows %q, want the literal text %q", sheet, cell, got, raw)
				}
			case typ == excelize.CellTypeBool:
				if want := map[string]string{"1": "TRUE", "0": "FALSE"}[raw]; got != want {
					t.Errorf("%s!%s: LibreOffice shows %q, want %s", sheet, cell, got, want)
				}
			case dateShown.MatchString(shown):
				// LibreOffice exports dates in ISO form as shown and other
				// date formats (RVTools' yyyy/MM/dd) in its locale's form.
				if got != shown && !sameDate(got, shown) {
					t.Errorf("%s!%s: LibreOffice shows date %q, want %q", sheet, cell, got, shown)
				}
			default:
				w, err1 := strconv.ParseFloat(raw, 64)
				// Percent-formatted cells are exported with their % sign.
				g, err2 := strconv.ParseFloat(strings.TrimSuffix(got, "%"), 64)
				if strings.HasSuffix(got, "%") {
					g /= 100
				}
				if err1 != nil || err2 != nil || diffRel(g, w) > 1e-12 {
					t.Errorf("%s!%s: LibreOffice shows %q, want the number %s", sheet, cell, got, raw)
				}
			}
		}
	}
}

// sameDate reports whether LibreOffice's CSV date text got is the date
// shown (yyyy/MM/dd HH:mm:ss) in its en-US form MM/dd/yyyy HH:mm:ss.
func sameDate(got, shown string) bool {
	w, err := time.Parse("2006/01/02 15:04:05", shown)
	if err != nil {
		return false
	}
	g, err := time.Parse("01/02/2006 15:04:05", got)
	return err == nil && g.Equal(w)
}
