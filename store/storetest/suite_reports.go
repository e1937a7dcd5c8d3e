package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/accessvault/vinventory/store"
)

// The ReportCatalog section: report bytes stored in chunks come back
// exactly (sizes around the chunk size included), a put replaces a report
// atomically and a failed put changes nothing, a reader of a replaced
// report fails instead of mixing versions, listing filters and pages, and
// deleting removes reports by key and by period.
func reportCatalogTests() []test {
	return []test{
		{"PutAndOpen", testReportPutOpen},
		{"ReplaceAndFailedPut", testReportReplace},
		{"ReaderOfReplacedReport", testReportReaderReplaced},
		{"ListFiltersAndPages", testReportList},
		{"Delete", testReportDelete},
		{"InvalidParams", testReportInvalid},
	}
}

// reportBytes returns n pseudo-random bytes.
func reportBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 99))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func (e *env) catalog() store.ReportCatalog { return e.st.(store.ReportCatalog) }

func (e *env) putReport(key, kind, vc string, period time.Time, data []byte) *store.ReportInfo {
	e.t.Helper()
	info, err := e.catalog().PutReport(e.ctx, &store.PutReportParams{
		Info: store.ReportInfo{Key: key, Kind: kind, Vcenter: vc, Period: period}, Body: bytes.NewReader(data)})
	e.ok(err, "PutReport(%q, %d bytes)", key, len(data))
	return info
}

// readReport opens a report and reads it whole.
func (e *env) readReport(key string) (*store.ReportInfo, []byte, error) {
	info, r, err := e.catalog().OpenReport(e.ctx, &store.OpenReportParams{Key: key})
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return info, b, err
}

func testReportPutOpen(e *env) {
	for i, n := range []int{0, 1, store.ReportChunkSize - 1, store.ReportChunkSize, store.ReportChunkSize + 1, 2*store.ReportChunkSize + 12345} {
		key := fmt.Sprintf("report-%d-\"é'<x>.xlsx", i)
		data := reportBytes(uint64(i), n)
		put := e.putReport(key, "hourly", "vc-a", t0.Add(time.Duration(i)*time.Hour), data)
		sum := sha256.Sum256(data)
		if put.Size != int64(n) || put.SHA256 != hex.EncodeToString(sum[:]) || put.CreatedAt.IsZero() {
			e.t.Errorf("PutReport(%d bytes) = size %d, sha256 %s, created %v; want %d, %x and a creation time", n, put.Size, put.SHA256, put.CreatedAt, n, sum)
		}
		info, got, err := e.readReport(key)
		e.ok(err, "OpenReport(%q) and read", key)
		if !bytes.Equal(got, data) {
			e.t.Errorf("report of %d bytes read back as %d bytes that differ", n, len(got))
		}
		if *info != *put {
			e.t.Errorf("OpenReport info = %+v, PutReport returned %+v", *info, *put)
		}
		if !info.Period.Equal(t0.Add(time.Duration(i) * time.Hour)) {
			e.t.Errorf("Period = %v, want %v", info.Period, t0.Add(time.Duration(i)*time.Hour))
		}
	}
	if _, _, err := e.catalog().OpenReport(e.ctx, &store.OpenReportParams{Key: "missing.xlsx"}); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("OpenReport(missing) = %v, want ErrNotFound", err)
	}
}

// failingReader returns n bytes of data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(b []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(b, r.data)
	r.data = r.data[n:]
	return n, nil
}

func testReportReplace(e *env) {
	first := reportBytes(1, store.ReportChunkSize+500)
	e.putReport("r.xlsx", "daily", "vc-a", day0, first)
	second := reportBytes(2, 700)
	e.putReport("r.xlsx", "daily", "vc-a", day0, second)
	if _, got, err := e.readReport("r.xlsx"); err != nil || !bytes.Equal(got, second) {
		e.t.Fatalf("after a replacing put the report reads %d bytes (%v), want the second put's %d", len(got), err, len(second))
	}
	before := e.dump()
	boom := errors.New("disk gone")
	_, err := e.catalog().PutReport(e.ctx, &store.PutReportParams{Info: store.ReportInfo{Key: "r.xlsx", Kind: "daily", Period: day0},
		Body: &failingReader{data: reportBytes(3, 2*store.ReportChunkSize+5), err: boom}})
	if !errors.Is(err, boom) {
		e.t.Fatalf("PutReport with a failing body = %v, want it wrapped", err)
	}
	e.unchanged(before, "a failed PutReport")
}

func testReportReaderReplaced(e *env) {
	data := reportBytes(4, 3*store.ReportChunkSize)
	e.putReport("live.xlsx", "hourly", "vc-a", t0, data)
	_, r, err := e.catalog().OpenReport(e.ctx, &store.OpenReportParams{Key: "live.xlsx"})
	e.ok(err, "OpenReport")
	defer r.Close()
	head := make([]byte, 10)
	if _, err := io.ReadFull(r, head); err != nil || !bytes.Equal(head, data[:10]) {
		e.t.Fatalf("first bytes: %v", err)
	}
	e.putReport("live.xlsx", "hourly", "vc-a", t0, reportBytes(5, 3*store.ReportChunkSize))
	rest, err := io.ReadAll(r)
	if !errors.Is(err, store.ErrNotFound) {
		e.t.Fatalf("reading a report replaced mid-read: %d more bytes, err %v; want an error wrapping ErrNotFound", len(rest), err)
	}
	if !bytes.Equal(rest, data[10:10+len(rest)]) {
		e.t.Fatal("a reader of a replaced report returned bytes of the new version")
	}
}

func testReportList(e *env) {
	type rep struct {
		key, kind, vc string
		at            time.Time
	}
	reps := []rep{
		{"c.xlsx", "hourly", "vc-a", t0}, {"a.xlsx", "daily", "vc-a", day0}, {"b.xlsx", "hourly", "vc-b", t0.Add(time.Hour)},
		{"d.xlsx", "monthly", "vc-b", mon0}, {"e.xlsx", "hourly", "vc-a", t0.Add(2 * time.Hour)},
	}
	for i, r := range reps {
		e.putReport(r.key, r.kind, r.vc, r.at, reportBytes(uint64(i), 10+i))
	}
	keys := func(p store.ListReportsParams) []string {
		var out []string
		for page := 0; ; page++ {
			pg, err := e.catalog().ListReports(e.ctx, &p)
			e.ok(err, "ListReports page %d", page)
			for _, r := range pg.Reports {
				out = append(out, r.Key)
			}
			if pg.NextCursor == "" {
				return out
			}
			p.Cursor = pg.NextCursor
		}
	}
	for name, c := range map[string]struct {
		p    store.ListReportsParams
		want string
	}{
		"all":          {store.ListReportsParams{}, "a.xlsx b.xlsx c.xlsx d.xlsx e.xlsx"},
		"pages of 2":   {store.ListReportsParams{Limit: 2}, "a.xlsx b.xlsx c.xlsx d.xlsx e.xlsx"},
		"vcenter":      {store.ListReportsParams{Vcenter: "vc-a", Limit: 1}, "a.xlsx c.xlsx e.xlsx"},
		"kind":         {store.ListReportsParams{Kind: "hourly"}, "b.xlsx c.xlsx e.xlsx"},
		"period range": {store.ListReportsParams{From: t0, To: t0.Add(2 * time.Hour)}, "b.xlsx c.xlsx"},
	} {
		if got := fmt.Sprint(keys(c.p)); got != "["+c.want+"]" {
			e.t.Errorf("ListReports(%s) = %s, want [%s]", name, got, c.want)
		}
	}
}

func testReportDelete(e *env) {
	for i, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour), t0.Add(3 * time.Hour)} {
		e.putReport(fmt.Sprintf("r%d.xlsx", i), "hourly", "vc-a", at, reportBytes(uint64(i), store.ReportChunkSize+i))
	}
	got, err := e.catalog().DeleteReports(e.ctx, &store.DeleteReportsParams{Keys: []string{"r3.xlsx", "missing.xlsx"}, Before: t0.Add(2 * time.Hour)})
	e.ok(err, "DeleteReports")
	if fmt.Sprint(got) != "[r0.xlsx r1.xlsx r3.xlsx]" {
		e.t.Errorf("DeleteReports = %v, want [r0.xlsx r1.xlsx r3.xlsx]", got)
	}
	d := e.dump()
	if len(d.Reports) != 1 || d.Reports[0].Key != "r2.xlsx" {
		e.t.Errorf("after DeleteReports the catalog holds %+v, want only r2.xlsx", d.Reports)
	}
	if _, _, err := e.readReport("r0.xlsx"); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("OpenReport of a deleted report = %v, want ErrNotFound", err)
	}
	// A key deleted and put again starts afresh.
	e.putReport("r0.xlsx", "hourly", "vc-a", t0, []byte("again"))
	if _, b, err := e.readReport("r0.xlsx"); err != nil || string(b) != "again" {
		e.t.Errorf("report put after its deletion reads %q, %v", b, err)
	}
}

func testReportInvalid(e *env) {
	e.putReport("keep.xlsx", "daily", "vc-a", day0, []byte("kept"))
	before := e.dump()
	body := func() io.Reader { return bytes.NewReader([]byte("x")) }
	for name, p := range map[string]*store.PutReportParams{
		"nil":         nil,
		"empty key":   {Info: store.ReportInfo{Kind: "daily", Period: day0}, Body: body()},
		"empty kind":  {Info: store.ReportInfo{Key: "k", Period: day0}, Body: body()},
		"zero period": {Info: store.ReportInfo{Key: "k", Kind: "daily"}, Body: body()},
		"nil body":    {Info: store.ReportInfo{Key: "k", Kind: "daily", Period: day0}},
		"NUL in key":  {Info: store.ReportInfo{Key: "k\x00", Kind: "daily", Period: day0}, Body: body()},
	} {
		_, err := e.catalog().PutReport(e.ctx, p)
		wantInvalid(e.t, err, "PutReport", name)
	}
	_, err := e.catalog().DeleteReports(e.ctx, &store.DeleteReportsParams{})
	wantInvalid(e.t, err, "DeleteReports", "nothing selected")
	_, _, err = e.catalog().OpenReport(e.ctx, &store.OpenReportParams{})
	wantInvalid(e.t, err, "OpenReport", "empty key")
	_, err = e.catalog().ListReports(e.ctx, &store.ListReportsParams{Cursor: "garbage"})
	wantInvalid(e.t, err, "ListReports", "bad cursor")
	e.unchanged(before, "invalid report calls")
}
