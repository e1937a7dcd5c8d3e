package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/chargeback"
	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/inventory"
)

// chargebackView is the chargeback page's data.
type chargebackView struct {
	Bill    *chargeback.Bill
	Query   url.Values
	Focus   string
	Lines   *Table
	Summary []KPI
	Cover   *Table
	Cards   *Table
	Admin   bool
	Edit    inventory.RateCard
	TagKeys string
}

func (s *Server) chargeback(p *page) error {
	in := p.r.URL.Query()
	period := in.Get("period")
	if period != "day" {
		period = "month"
	}
	at := in.Get("at")
	if at == "" {
		at = p.s.o.Clock().In(p.s.o.Location).Format("2006-01")
		if period == "day" {
			at = p.s.o.Clock().In(p.s.o.Location).AddDate(0, 0, -1).Format(time.DateOnly)
		}
	}
	// Grouping: tier, cluster, folder, vcenter, or tags (several keys).
	by := slices.DeleteFunc(slices.Clone(in["by"]), func(s string) bool { return s == "" })
	if tags := strings.TrimSpace(in.Get("tags")); tags != "" {
		for _, k := range strings.Split(tags, ",") {
			if k = strings.TrimSpace(k); k != "" {
				by = append(by, "tag:"+k)
			}
		}
	}
	if len(by) == 0 {
		by = []string{"tier"}
	}
	q := url.Values{"period": {period}, "at": {at}, "by": by}
	if vc := in.Get("vcenter"); vc != "" {
		q.Set("vcenter", vc)
	}
	var bill chargeback.Bill
	if err := p.get("/api/chargeback", q, &bill); err != nil {
		return err
	}
	if in.Get("format") == "xlsx" {
		return p.billXLSX(&bill)
	}
	v := chargebackView{Bill: &bill, Query: q, Focus: in.Get("focus"), Admin: p.v.Can(api.RoleAdmin), TagKeys: in.Get("tags")}
	v.Summary = billKPIs(&bill)
	v.Lines = billTable(&bill, q, v.Focus)
	v.Cover = &Table{Label: "Coverage", Cols: []Col{{Title: "vCenter"}, {Title: "Days billed", Num: true}, {Title: "Days in period", Num: true},
		{Title: "Not billed"}, {Title: "Partial days"}}, Empty: "No vCenter has data in this period."}
	for _, c := range bill.Coverage {
		v.Cover.Rows = append(v.Cover.Rows, Row{Key: c.Vcenter, Cells: []Cell{text(c.Vcenter), numCell(inum(c.CoveredDays)), numCell(inum(c.DaysInPeriod)),
			text(orDash(strings.Join(c.UncoveredDays, ", "))), text(orDash(strings.Join(c.PartialDays, ", ")))}})
	}
	var cards list[inventory.RateCard]
	if err := p.get("/api/rate-cards", nil, &cards); err != nil && !isStatus(err, 503) {
		return err
	}
	v.Cards = rateCardTable(p, cards.Items, v.Admin)
	if id := in.Get("edit"); id != "" {
		for _, c := range cards.Items {
			if fmt.Sprint(c.ID) == id {
				v.Edit = c
			}
		}
	}
	return p.ok(chargebackPage(p, v))
}

// coverageNote is what the coverage says beside a total.
func coverageNote(b *chargeback.Bill) string {
	covered, days := 0, 0
	for _, c := range b.Coverage {
		covered += c.CoveredDays
		days += c.DaysInPeriod
	}
	note := fmt.Sprintf("%d of %d vCenter-days billed", covered, days)
	if b.Partial {
		note = "partial: " + note
	}
	return note
}

func billKPIs(b *chargeback.Bill) []KPI {
	cur := b.Currency
	cov := coverageNote(b)
	out := []KPI{
		{Label: "Cost", Value: strings.TrimSpace(b.Total.Cost.Rounded + " " + cur), Note: cov},
		{Label: "vCPU-days", Value: b.Total.VCPUDays.StringFixed(2), Note: cov},
		{Label: "RAM GB-days", Value: b.Total.RAMGBDays.StringFixed(2), Note: cov},
		{Label: "Disk GB-days (provisioned)", Value: b.Total.ProvisionedDiskGBDays.StringFixed(2), Note: cov},
		{Label: "VM-days", Value: b.Total.VMDays.StringFixed(2), Note: cov},
	}
	if b.MonthToDate != nil {
		out = append(out, KPI{Label: "Month to date", Value: strings.TrimSpace(b.MonthToDate.Cost.Rounded + " " + cur), Note: cov})
	}
	if b.Projection != nil {
		out = append(out, KPI{Label: "Projected month end", Value: strings.TrimSpace(b.Projection.Cost.Rounded + " " + cur), Note: "estimate: " + b.Projection.Note})
	}
	if b.Total.Unpriced.Shares > 0 {
		out = append(out, KPI{Label: "Unpriced shares", Value: inum(b.Total.Unpriced.Shares), Note: "VM-day shares no rate card priced"})
	}
	return out
}

func billTable(b *chargeback.Bill, q url.Values, focus string) *Table {
	t := &Table{Label: "Bill lines", Empty: "Nothing billed in this period."}
	for _, k := range b.By {
		t.Cols = append(t.Cols, Col{Title: k})
	}
	t.Cols = append(t.Cols, Col{Title: "vCPU-days", Num: true}, Col{Title: "RAM GB-days", Num: true}, Col{Title: "Disk GB-days", Num: true},
		Col{Title: "VM-days", Num: true}, Col{Title: "Cost " + b.Currency, Num: true})
	drill := !slices.Contains(b.By, "vm")
	if drill {
		t.Cols = append(t.Cols, Col{Title: "Drill down"})
	}
	for _, l := range b.Lines {
		key := strings.Join(l.Key, "\x1f")
		if focus != "" && !strings.HasPrefix(key, focus) {
			continue
		}
		var cells []Cell
		for _, k := range l.Key {
			cells = append(cells, text(orDash(k)))
		}
		cells = append(cells, numCell(l.VCPUDays.StringFixed(2)), numCell(l.RAMGBDays.StringFixed(2)), numCell(l.ProvisionedDiskGBDays.StringFixed(2)),
			numCell(l.VMDays.StringFixed(2)), numCell(l.Cost.Rounded))
		if drill {
			dq := cloneQuery(q)
			dq["by"] = append(slices.Clone(b.By), "vm")
			dq.Set("focus", key)
			cells = append(cells, link("VMs", "/chargeback?"+dq.Encode()))
		}
		t.Rows = append(t.Rows, Row{Key: key, Cells: cells})
	}
	tot := []Cell{}
	for i := range b.By {
		if i == 0 {
			tot = append(tot, Cell{Text: "Total (" + coverageNote(b) + ")"})
		} else {
			tot = append(tot, text(""))
		}
	}
	tot = append(tot, numCell(b.Total.VCPUDays.StringFixed(2)), numCell(b.Total.RAMGBDays.StringFixed(2)), numCell(b.Total.ProvisionedDiskGBDays.StringFixed(2)),
		numCell(b.Total.VMDays.StringFixed(2)), numCell(b.Total.Cost.Rounded))
	if drill {
		tot = append(tot, text(""))
	}
	t.Rows = append(t.Rows, Row{Key: "total", Cells: tot})
	return t
}

// billXLSX downloads the bill: its lines, the total with its coverage.
func (p *page) billXLSX(b *chargeback.Bill) error {
	// Quantities are numbers; the cost is a number rounded to the cent and,
	// exactly, the bill's decimal as text (a spreadsheet's float cannot
	// hold it).
	head := []any{}
	for _, k := range b.By {
		head = append(head, k)
	}
	head = append(head, "vcpu_days", "ram_gb_days", "provisioned_disk_gb_days", "used_disk_gb_days", "vm_days", "cost", "cost_exact", "currency")
	rows := [][]any{head}
	line := func(key []string, l chargeback.Line) []any {
		out := []any{}
		for _, k := range key {
			out = append(out, k)
		}
		rounded, _ := strconv.ParseFloat(l.Cost.Rounded, 64)
		return append(out, l.VCPUDays.InexactFloat64(), l.RAMGBDays.InexactFloat64(), l.ProvisionedDiskGBDays.InexactFloat64(),
			l.UsedDiskGBDays.InexactFloat64(), l.VMDays.InexactFloat64(), rounded, l.Cost.Exact.String(), b.Currency)
	}
	for _, l := range b.Lines {
		rows = append(rows, line(l.Key, l))
	}
	key := make([]string, len(b.By))
	if len(key) > 0 {
		key[0] = "Total (" + coverageNote(b) + ")"
	}
	rows = append(rows, line(key, b.Total))
	for _, c := range b.Coverage {
		rows = append(rows, []any{"coverage " + c.Vcenter, fmt.Sprintf("%d of %d days billed", c.CoveredDays, c.DaysInPeriod),
			"not billed: " + strings.Join(c.UncoveredDays, " ")})
	}
	x, err := xlsxOf("chargeback", rows)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("chargeback-%s-%s.xlsx", b.Period, b.Start.In(p.s.o.Location).Format(time.DateOnly))
	p.w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	p.w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = p.w.Write(x)
	return nil
}

func rateCardTable(p *page, cards []inventory.RateCard, admin bool) *Table {
	t := &Table{Label: "Rate cards", Empty: "No rate cards: nothing is priced.", Cols: []Col{{Title: "Name"}, {Title: "From"}, {Title: "Applies to"},
		{Title: "vCPU-day", Num: true}, {Title: "RAM GB-day", Num: true}, {Title: "Disk GB-day", Num: true}, {Title: "Used GB-day", Num: true}, {Title: "VM-day", Num: true}}}
	if admin {
		t.Cols = append(t.Cols, Col{Title: "Edit"})
	}
	for _, c := range cards {
		var scope []string
		for _, kv := range [][2]string{{"tier", c.Tier}, {"vCenter", c.Vcenter}, {"cluster", c.Cluster}, {"tag " + c.TagKey, c.TagValue}} {
			if kv[1] != "" {
				scope = append(scope, kv[0]+" "+kv[1])
			}
		}
		cells := []Cell{text(c.Name), text(c.EffectiveFrom.Format(time.DateOnly)), text(orDefault(strings.Join(scope, ", "), "everything")),
			numCell(price(c.VCPUDay, c.Currency)), numCell(price(c.RAMGBDay, c.Currency)), numCell(price(c.ProvisionedDiskGBDay, c.Currency)),
			numCell(price(c.UsedDiskGBDay, c.Currency)), numCell(price(c.VMDay, c.Currency))}
		if admin {
			cells = append(cells, link("Edit", "/chargeback?edit="+strconv.FormatInt(c.ID, 10)+"#rate-card-form"))
		}
		t.Rows = append(t.Rows, Row{Key: strconv.FormatInt(c.ID, 10), Cells: cells})
	}
	return t
}

func price(v, cur string) string {
	if v == "" {
		return "–"
	}
	return v + " " + cur
}

func (s *Server) saveRateCard(p *page) error {
	if !p.signedIn("/chargeback") {
		return nil
	}
	if err := p.r.ParseForm(); err != nil {
		return p.redirectErr("/chargeback", "The form could not be read: "+err.Error())
	}
	f := p.r.PostForm
	c := inventory.RateCard{Name: f.Get("name"), Currency: f.Get("currency"), Tier: f.Get("tier"), Vcenter: f.Get("vcenter"), Cluster: f.Get("cluster"),
		TagKey: f.Get("tag_key"), TagValue: f.Get("tag_value"), VCPUDay: f.Get("vcpu_day"), RAMGBDay: f.Get("ram_gb_day"),
		ProvisionedDiskGBDay: f.Get("provisioned_disk_gb_day"), UsedDiskGBDay: f.Get("used_disk_gb_day"), VMDay: f.Get("vm_day")}
	from, err := time.ParseInLocation(time.DateOnly, f.Get("effective_from"), p.s.o.Location)
	if err != nil {
		return p.redirect("/chargeback", "Effective from: want a date (YYYY-MM-DD).")
	}
	c.EffectiveFrom = from
	method, path, verb := http.MethodPost, "/api/rate-cards", "created"
	if id := f.Get("id"); id != "" {
		method, path, verb = http.MethodPut, "/api/rate-cards/"+url.PathEscape(id), "saved"
	}
	var out inventory.RateCard
	if err := p.call(method, path, c, &out); err != nil {
		return p.actionFailed("/chargeback", err)
	}
	return p.redirect("/chargeback", fmt.Sprintf("Rate card %q %s.", out.Name, verb))
}

func (s *Server) deleteRateCard(p *page) error {
	if !p.signedIn("/chargeback") {
		return nil
	}
	if err := p.call(http.MethodDelete, "/api/rate-cards/"+url.PathEscape(p.r.PathValue("id")), nil, nil); err != nil {
		return p.actionFailed("/chargeback", err)
	}
	return p.redirect("/chargeback", "Rate card deleted.")
}

func firstBy(v chargebackView) string {
	for _, b := range v.Bill.By {
		if !strings.HasPrefix(b, "tag:") {
			return b
		}
	}
	return ""
}

func xlsxQuery(v chargebackView) string {
	q := cloneQuery(v.Query)
	q.Set("format", "xlsx")
	if v.TagKeys != "" {
		q.Set("tags", v.TagKeys)
		q["by"] = slices.DeleteFunc(slices.Clone(q["by"]), func(s string) bool { return strings.HasPrefix(s, "tag:") })
	}
	return q.Encode()
}

func unfocused(v chargebackView) string {
	q := cloneQuery(v.Query)
	q["by"] = slices.DeleteFunc(slices.Clone(q["by"]), func(s string) bool { return s == "vm" })
	return q.Encode()
}

func dateOrEmpty(c inventory.RateCard) string {
	if c.EffectiveFrom.IsZero() {
		return ""
	}
	return c.EffectiveFrom.Format(time.DateOnly)
}
