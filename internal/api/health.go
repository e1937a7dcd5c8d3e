package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/health"
)

// registerHealth declares the health findings (RVTools' vHealth as data).
func (a *API) registerHealth() {
	huma.Register(a.h, op(http.MethodGet, "/api/health-findings", "list-health-findings",
		"Health findings of the latest state: old or large snapshots, consolidation, VMware Tools, connected CDs, datastore over-commit and free space, hosts in maintenance or disconnected",
		RoleViewer, "inventory"), a.listHealthFindings)
}

type healthInput struct {
	Vcenter             string  `query:"vcenter" maxLength:"256"`
	Kind                string  `query:"kind" maxLength:"64" doc:"Only this check: snapshot_old, snapshot_large, consolidation_needed, tools_not_running, tools_outdated, tools_not_installed, cd_connected, datastore_overcommit, datastore_low_free, host_maintenance, host_disconnected, no_detail."`
	SnapshotMaxAgeDays  float64 `query:"snapshot_max_age_days" minimum:"0" maximum:"36500" doc:"A snapshot older than this many days is a finding. Default 7."`
	SnapshotMaxSizeGB   float64 `query:"snapshot_max_size_gb" minimum:"0" doc:"A snapshot larger than this many GB is a finding. Default 10."`
	OvercommitPct       float64 `query:"overcommit_pct" minimum:"0" doc:"A datastore whose provisioned space exceeds this percentage of its capacity is a finding. Default 100."`
	DatastoreMinFreePct float64 `query:"datastore_min_free_pct" minimum:"0" maximum:"100" doc:"A datastore with less free space than this percentage is a finding. Default 10."`
	Page
}

func (a *API) listHealthFindings(ctx context.Context, in *healthInput) (*listOutput[health.Finding], error) {
	opts := health.Options{Now: a.o.Clock(), SnapshotMaxAge: time.Duration(in.SnapshotMaxAgeDays * float64(24*time.Hour)),
		SnapshotMaxSizeGB: in.SnapshotMaxSizeGB, OvercommitRatio: in.OvercommitPct / 100, DatastoreMinFreePct: in.DatastoreMinFreePct}
	if in.Kind != "" && !health.Kind(in.Kind).Valid() {
		return nil, invalid("kind", "not a health check kind")
	}
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[health.Finding](nil, ""), nil
	}
	fs, err := health.Check(ctx, a.o.Store, &health.Params{Vcenter: vc, Options: opts})
	if err != nil {
		if errors.Is(err, health.ErrInvalidOptions) {
			return nil, invalid("options", err.Error())
		}
		return nil, a.storeError(ctx, "health check", err)
	}
	fs = visible(sc, fs, func(f health.Finding) string { return f.Vcenter })
	if in.Kind != "" {
		fs = keep(fs, func(f health.Finding) bool { return string(f.Kind) == in.Kind })
	}
	items, next, err := offsetPage(fs, in.Page)
	if err != nil {
		return nil, err
	}
	return newList(items, next), nil
}
