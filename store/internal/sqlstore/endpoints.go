package sqlstore

import (
	"context"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

var (
	endpointUpsert = Upsert(without(endpointCols, "created_at"), "name")
	statusUpsert   = Upsert(statusCols, "endpoint")
)

// UpsertEndpoint creates or updates an endpoint by name and returns it as
// stored.
func (c *Core) UpsertEndpoint(ctx context.Context, p *store.UpsertEndpointParams) (*inventory.Endpoint, error) {
	const op = "UpsertEndpoint"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.UpsertEndpointParams{}
	}
	e := p.Endpoint
	if err := driver.ValidateEndpoint(op, &e); err != nil {
		return nil, err
	}
	now := driver.NormTime(c.now())
	e.CreatedAt, e.UpdatedAt = now, now
	var out *inventory.Endpoint
	w := &writeOp{op: op, stage: store.StageEndpoints}
	err := c.inTx(ctx, w, func(tx Tx) error {
		if _, err := tx.Exec(ctx, c.insertSQL(TableEndpoints, endpointCols, endpointUpsert, 1),
			c.endpointArgs(make([]any, 0, len(endpointCols)), &e)...); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, c.sql("SELECT "+list(endpointCols)+" FROM {endpoints} WHERE name = ?"), e.Name)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var got inventory.Endpoint
			if err := rows.Scan(endpointDest(&got)...); err != nil {
				return err
			}
			out = &got
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Core) listEndpoints(ctx context.Context, op, name string, enabledOnly bool) ([]inventory.Endpoint, error) {
	q := c.db.NewSelect().ColumnExpr(list(endpointCols)).TableExpr(c.sql("{endpoints}"))
	if name != "" {
		q = q.Where("name = ?", name)
	}
	if enabledOnly {
		q = q.Where("enabled = ?", true)
	}
	q = q.OrderExpr("name")
	return queryRows(ctx, c, op, q, endpointDest)
}

// GetEndpoint returns one endpoint or ErrNotFound.
func (c *Core) GetEndpoint(ctx context.Context, p *store.GetEndpointParams) (*inventory.Endpoint, error) {
	const op = "GetEndpoint"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil || p.Name == "" {
		return nil, driver.Invalid(op, "Name", "must not be empty")
	}
	out, err := c.listEndpoints(ctx, op, p.Name, false)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, c.notFound(op, "endpoint "+p.Name)
	}
	return &out[0], nil
}

// ListEndpoints returns endpoints ordered by name.
func (c *Core) ListEndpoints(ctx context.Context, p *store.ListEndpointsParams) ([]inventory.Endpoint, error) {
	const op = "ListEndpoints"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListEndpointsParams{}
	}
	return c.listEndpoints(ctx, op, "", p.EnabledOnly)
}

// DeleteEndpoint removes an endpoint and its status, or returns
// ErrNotFound.
func (c *Core) DeleteEndpoint(ctx context.Context, p *store.DeleteEndpointParams) error {
	const op = "DeleteEndpoint"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil || p.Name == "" {
		return driver.Invalid(op, "Name", "must not be empty")
	}
	var n int64
	w := &writeOp{op: op, stage: store.StageEndpoints}
	err := c.inTx(ctx, w, func(tx Tx) error {
		var err error
		if n, err = tx.Exec(ctx, c.sql("DELETE FROM {endpoints} WHERE name = ?"), p.Name); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, c.sql("DELETE FROM {endpoint_status} WHERE endpoint = ?"), p.Name)
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return c.notFound(op, "endpoint "+p.Name)
	}
	return nil
}

// RecordCaptureStatus upserts an endpoint's capture status.
func (c *Core) RecordCaptureStatus(ctx context.Context, p *store.RecordCaptureStatusParams) error {
	const op = "RecordCaptureStatus"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.RecordCaptureStatusParams{}
	}
	s := p.Status
	if err := driver.ValidateCaptureStatus(op, &s); err != nil {
		return err
	}
	w := &writeOp{op: op, stage: store.StageEndpoints}
	return c.inTx(ctx, w, func(tx Tx) error {
		_, err := tx.Exec(ctx, c.insertSQL(TableEndpointStatus, statusCols, statusUpsert, 1),
			c.statusArgs(make([]any, 0, len(statusCols)), &s)...)
		return err
	})
}

// ListCaptureStatus returns statuses ordered by endpoint.
func (c *Core) ListCaptureStatus(ctx context.Context, p *store.ListCaptureStatusParams) ([]inventory.CaptureStatus, error) {
	const op = "ListCaptureStatus"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListCaptureStatusParams{}
	}
	q := c.db.NewSelect().ColumnExpr(list(statusCols)).TableExpr(c.sql("{endpoint_status}"))
	if p.Endpoint != "" {
		q = q.Where("endpoint = ?", p.Endpoint)
	}
	q = q.OrderExpr("endpoint")
	return queryRows(ctx, c, op, q, statusDest)
}
