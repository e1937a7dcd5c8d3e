package memstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

var (
	_ store.AlertStore        = (*Store)(nil)
	_ store.AlertChannels     = (*Store)(nil)
	_ store.NotificationQueue = (*Store)(nil)
)

// alertState holds the rows of store.AlertStore, store.AlertChannels and
// store.NotificationQueue. Callers hold the lock.
type alertState struct {
	rules  map[string]inventory.AlertRule
	alerts map[int64]*inventory.Alert
	// unresolved maps the key of each alert that is not resolved to its ID.
	unresolved  map[driver.AlertKey]int64
	transitions []inventory.AlertTransition // ordered by ID
	silences    map[int64]inventory.Silence
	channels    map[string]inventory.AlertChannel
	queue       []*queued // ordered by ID

	lastAlert, lastTransition, lastSilence, lastNotification int64
}

// queued is one notification with its lease.
type queued struct {
	n          inventory.Notification
	owner      string
	leaseUntil time.Time
}

// alertRows returns the alert state, creating it on first use. Callers
// hold the write lock.
func (s *Store) alertRows() *alertState {
	if s.alert == nil {
		s.alert = &alertState{
			rules: map[string]inventory.AlertRule{}, alerts: map[int64]*inventory.Alert{},
			unresolved: map[driver.AlertKey]int64{}, silences: map[int64]inventory.Silence{},
			channels: map[string]inventory.AlertChannel{},
		}
	}
	return s.alert
}

// readAlerts takes the read lock and returns the alert state (an empty one
// when nothing was written yet).
func (s *Store) readAlerts(op string) (*alertState, func(), error) {
	unlock, err := s.read(op)
	if err != nil {
		return nil, nil, err
	}
	if s.alert == nil {
		return &alertState{}, unlock, nil
	}
	return s.alert, unlock, nil
}

// ---------------------------------------------------------------------------
// Rules

// PutAlertRule inserts or replaces a rule (store.AlertStore).
func (s *Store) PutAlertRule(ctx context.Context, p *store.PutAlertRuleParams) (*inventory.AlertRule, error) {
	const op = "PutAlertRule"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	r, err := driver.PrepareAlertRule(p, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageAlerts}, func() { s.alertRows().rules[r.ID] = r }); err != nil {
		return nil, err
	}
	out := driver.CloneAlertRule(r)
	return &out, nil
}

// ListAlertRules returns the rules ordered by ID (store.AlertStore).
func (s *Store) ListAlertRules(ctx context.Context, p *store.ListAlertRulesParams) ([]inventory.AlertRule, error) {
	const op = "ListAlertRules"
	if p == nil {
		p = &store.ListAlertRulesParams{}
	}
	a, unlock, err := s.readAlerts(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []inventory.AlertRule
	for _, id := range slices.Sorted(maps.Keys(a.rules)) {
		if r := a.rules[id]; r.Enabled || !p.EnabledOnly {
			out = append(out, driver.CloneAlertRule(r))
		}
	}
	return out, nil
}

// DeleteAlertRule deletes a rule (store.AlertStore).
func (s *Store) DeleteAlertRule(ctx context.Context, p *store.DeleteAlertRuleParams) error {
	const op = "DeleteAlertRule"
	if err := s.usable(op); err != nil {
		return err
	}
	if err := driver.ValidateDeleteAlertRule(p); err != nil {
		return err
	}
	return s.deleteAlertRow(ctx, op, func(a *alertState) bool {
		_, found := a.rules[p.ID]
		delete(a.rules, p.ID)
		return found
	}, fmt.Sprintf("alert rule %q", p.ID))
}

// deleteAlertRow runs del (which reports whether the row was there) in
// one commit; a missing row is store.ErrNotFound naming what.
func (s *Store) deleteAlertRow(ctx context.Context, op string, del func(*alertState) bool, what string) error {
	found := false
	err := s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageAlerts}, func() { found = del(s.alertRows()) })
	if err != nil {
		return err
	}
	if !found {
		return notFound(op, "%s", what)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Alerts

// ApplyAlerts writes one batch of alert changes atomically
// (store.AlertStore): deletes first, then the updates and the inserts in
// order, as the SQL backends do, each checked against the key of the
// alerts that are not resolved.
func (s *Store) ApplyAlerts(ctx context.Context, p *store.ApplyAlertsParams) (*store.ApplyAlertsResult, error) {
	const op = "ApplyAlerts"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	prep, err := driver.PrepareApplyAlerts(p, s.now())
	if err != nil {
		return nil, err
	}
	var res *store.ApplyAlertsResult
	var conflict error
	err = s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageAlerts}, func() {
		a := s.alertRows()
		if conflict = a.checkApply(prep); conflict == nil {
			res = a.apply(prep)
		}
	})
	if err != nil {
		return nil, err
	}
	if conflict != nil {
		return nil, conflict
	}
	return res, nil
}

// checkApply returns the *ConflictError of a batch, or nil when it can be
// applied. It changes nothing.
func (a *alertState) checkApply(prep *driver.PreparedAlerts) error {
	deleted := map[int64]bool{}
	keys := maps.Clone(a.unresolved)
	for _, id := range prep.Delete {
		if old := a.alerts[id]; old != nil {
			deleted[id] = true
			if keys[driver.KeyOf(old)] == id {
				delete(keys, driver.KeyOf(old))
			}
		}
	}
	claim := func(field string, al *inventory.Alert, id int64) error {
		if al.State == inventory.AlertResolved {
			return nil
		}
		k := driver.KeyOf(al)
		if other, taken := keys[k]; taken && other != id {
			return driver.AlertKeyConflict(field, al)
		}
		keys[k] = id
		return nil
	}
	for i, u := range prep.Alerts {
		if u.Alert.ID == 0 {
			continue
		}
		f := "Alerts[" + strconv.Itoa(i) + "]"
		old := a.alerts[u.Alert.ID]
		if old == nil {
			return driver.AlertMissing(f+".Alert.ID", u.Alert.ID)
		}
		if u.ExpectState != "" && u.ExpectState != old.State {
			return driver.AlertStateConflict(f, u.Alert.ID, u.ExpectState, old.State)
		}
		if keys[driver.KeyOf(old)] == old.ID {
			delete(keys, driver.KeyOf(old))
		}
		if err := claim(f, &u.Alert, u.Alert.ID); err != nil {
			return err
		}
	}
	for i, u := range prep.Alerts {
		if u.Alert.ID != 0 {
			continue
		}
		// A new alert's ID is not known yet: -1-i cannot match a stored one.
		if err := claim("Alerts["+strconv.Itoa(i)+"]", &u.Alert, int64(-1-i)); err != nil {
			return err
		}
	}
	for i, r := range prep.Transitions {
		if id := r.Transition.AlertID; id > 0 && (a.alerts[id] == nil || deleted[id]) {
			return driver.AlertMissing("Transitions["+strconv.Itoa(i)+"].Transition.AlertID", id)
		}
	}
	return nil
}

// apply writes a checked batch.
func (a *alertState) apply(prep *driver.PreparedAlerts) *store.ApplyAlertsResult {
	for _, id := range prep.Delete {
		old := a.alerts[id]
		if old == nil {
			continue
		}
		if a.unresolved[driver.KeyOf(old)] == id {
			delete(a.unresolved, driver.KeyOf(old))
		}
		delete(a.alerts, id)
		a.transitions = slices.DeleteFunc(a.transitions, func(t inventory.AlertTransition) bool { return t.AlertID == id })
	}
	res := &store.ApplyAlertsResult{Alerts: make([]inventory.Alert, len(prep.Alerts))}
	put := func(i int, al inventory.Alert) {
		if old := a.alerts[al.ID]; old != nil && a.unresolved[driver.KeyOf(old)] == al.ID {
			delete(a.unresolved, driver.KeyOf(old))
		}
		a.alerts[al.ID] = &al
		if al.State != inventory.AlertResolved {
			a.unresolved[driver.KeyOf(&al)] = al.ID
		}
		res.Alerts[i] = al
	}
	for i, u := range prep.Alerts {
		if u.Alert.ID != 0 {
			put(i, u.Alert)
		}
	}
	for i, u := range prep.Alerts {
		if u.Alert.ID == 0 {
			a.lastAlert++
			u.Alert.ID = a.lastAlert
			put(i, u.Alert)
		}
	}
	for _, r := range prep.Transitions {
		t := r.Transition
		if t.AlertID == 0 {
			t.AlertID = res.Alerts[r.AlertIndex].ID
		}
		a.lastTransition++
		t.ID = a.lastTransition
		a.transitions = append(a.transitions, t)
	}
	for _, r := range prep.Notifications {
		n := r.Notification
		if r.AlertIndex >= 0 {
			n.Alert = res.Alerts[r.AlertIndex]
		}
		res.NotificationIDs = append(res.NotificationIDs, a.enqueue(n))
	}
	return res
}

// GetAlert returns one alert (store.AlertStore).
func (s *Store) GetAlert(ctx context.Context, p *store.GetAlertParams) (*inventory.Alert, error) {
	const op = "GetAlert"
	if err := driver.ValidateGetAlert(p); err != nil {
		return nil, err
	}
	a, unlock, err := s.readAlerts(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	al := a.alerts[p.ID]
	if al == nil {
		return nil, notFound(op, "alert %d", p.ID)
	}
	out := *al
	return &out, nil
}

// ListAlerts returns alerts newest first (store.AlertStore).
func (s *Store) ListAlerts(ctx context.Context, p *store.ListAlertsParams) (*store.AlertPage, error) {
	const op = "ListAlerts"
	if p == nil {
		p = &store.ListAlertsParams{}
	}
	before, limit, err := driver.PrepareListAlerts(p)
	if err != nil {
		return nil, err
	}
	a, unlock, err := s.readAlerts(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ids := slices.Sorted(maps.Keys(a.alerts))
	slices.Reverse(ids)
	page := &store.AlertPage{}
	for _, id := range ids {
		if before > 0 && id >= before {
			continue
		}
		if al := a.alerts[id]; driver.MatchAlert(al, p) {
			if len(page.Alerts) == limit {
				page.NextCursor = driver.NextIDCursor(limit+1, limit, page.Alerts[limit-1].ID)
				break
			}
			page.Alerts = append(page.Alerts, *al)
		}
	}
	return page, nil
}

// CountAlerts counts the alerts that are not resolved by state and
// severity (store.AlertStore), ordered as driver.SortAlertCounts.
func (s *Store) CountAlerts(ctx context.Context, p *store.CountAlertsParams) ([]store.AlertCount, error) {
	const op = "CountAlerts"
	if p == nil {
		p = &store.CountAlertsParams{}
	}
	if err := driver.ValidateCountAlerts(p); err != nil {
		return nil, err
	}
	a, unlock, err := s.readAlerts(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	type key struct {
		st  inventory.AlertState
		sev inventory.AlertSeverity
	}
	counts := map[key]int{}
	for _, al := range a.alerts {
		if al.State != inventory.AlertResolved && (p.Vcenters == nil || slices.Contains(p.Vcenters, al.Vcenter)) {
			counts[key{al.State, al.Severity}]++
		}
	}
	var out []store.AlertCount
	for k, n := range counts {
		out = append(out, store.AlertCount{State: k.st, Severity: k.sev, Count: n})
	}
	driver.SortAlertCounts(out)
	return out, nil
}

// ListAlertHistory returns transitions oldest first (store.AlertStore).
func (s *Store) ListAlertHistory(ctx context.Context, p *store.ListAlertHistoryParams) (*store.AlertHistoryPage, error) {
	const op = "ListAlertHistory"
	if p == nil {
		p = &store.ListAlertHistoryParams{}
	}
	after, since, limit, err := driver.PrepareListAlertHistory(p)
	if err != nil {
		return nil, err
	}
	a, unlock, err := s.readAlerts(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	page := &store.AlertHistoryPage{}
	i, _ := slices.BinarySearchFunc(a.transitions, after+1, func(t inventory.AlertTransition, id int64) int { return cmp.Compare(t.ID, id) })
	for ; i < len(a.transitions); i++ {
		t := a.transitions[i]
		if (p.AlertID != 0 && t.AlertID != p.AlertID) || t.At.Before(since) {
			continue
		}
		if len(page.Transitions) == limit {
			page.NextCursor = driver.NextIDCursor(limit+1, limit, page.Transitions[limit-1].ID)
			break
		}
		page.Transitions = append(page.Transitions, t)
	}
	return page, nil
}

// ---------------------------------------------------------------------------
// Silences

// CreateSilence stores a silence (store.AlertStore).
func (s *Store) CreateSilence(ctx context.Context, p *store.CreateSilenceParams) (*inventory.Silence, error) {
	const op = "CreateSilence"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	sil, err := driver.PrepareSilence(p, s.now())
	if err != nil {
		return nil, err
	}
	err = s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageAlerts}, func() {
		a := s.alertRows()
		a.lastSilence++
		sil.ID = a.lastSilence
		a.silences[sil.ID] = sil
	})
	if err != nil {
		return nil, err
	}
	return &sil, nil
}

// ListSilences returns silences ordered by ID (store.AlertStore).
func (s *Store) ListSilences(ctx context.Context, p *store.ListSilencesParams) ([]inventory.Silence, error) {
	const op = "ListSilences"
	if p == nil {
		p = &store.ListSilencesParams{}
	}
	a, unlock, err := s.readAlerts(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []inventory.Silence
	for _, id := range slices.Sorted(maps.Keys(a.silences)) {
		if sil := a.silences[id]; p.ActiveAt.IsZero() || sil.Until.After(p.ActiveAt) {
			out = append(out, sil)
		}
	}
	return out, nil
}

// DeleteSilence deletes a silence (store.AlertStore).
func (s *Store) DeleteSilence(ctx context.Context, p *store.DeleteSilenceParams) error {
	const op = "DeleteSilence"
	if err := s.usable(op); err != nil {
		return err
	}
	if err := driver.ValidateDeleteSilence(p); err != nil {
		return err
	}
	return s.deleteAlertRow(ctx, op, func(a *alertState) bool {
		_, found := a.silences[p.ID]
		delete(a.silences, p.ID)
		return found
	}, fmt.Sprintf("silence %d", p.ID))
}

// ---------------------------------------------------------------------------
// Channels

// PutAlertChannel inserts or replaces a channel (store.AlertChannels).
func (s *Store) PutAlertChannel(ctx context.Context, p *store.PutAlertChannelParams) (*inventory.AlertChannel, error) {
	const op = "PutAlertChannel"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	c, err := driver.PrepareAlertChannel(p, s.now())
	if err != nil {
		return nil, err
	}
	err = s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageAlerts}, func() {
		a := s.alertRows()
		if old, ok := a.channels[c.Name]; ok && p.KeepSecret && p.Channel.Secret == nil {
			c.Secret, c.HasSecret = old.Secret, old.HasSecret
		}
		a.channels[c.Name] = c
	})
	if err != nil {
		return nil, err
	}
	out := driver.CloneAlertChannel(c)
	return &out, nil
}

// GetAlertChannel returns one channel with its secret
// (store.AlertChannels).
func (s *Store) GetAlertChannel(ctx context.Context, p *store.GetAlertChannelParams) (*inventory.AlertChannel, error) {
	const op = "GetAlertChannel"
	if p == nil {
		p = &store.GetAlertChannelParams{}
	}
	if err := driver.ValidateChannelName(op, p.Name); err != nil {
		return nil, err
	}
	a, unlock, err := s.readAlerts(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	c, ok := a.channels[p.Name]
	if !ok {
		return nil, notFound(op, "alert channel %q", p.Name)
	}
	out := driver.CloneAlertChannel(c)
	return &out, nil
}

// ListAlertChannels returns the channels ordered by name
// (store.AlertChannels).
func (s *Store) ListAlertChannels(ctx context.Context, p *store.ListAlertChannelsParams) ([]inventory.AlertChannel, error) {
	a, unlock, err := s.readAlerts("ListAlertChannels")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []inventory.AlertChannel
	for _, name := range slices.Sorted(maps.Keys(a.channels)) {
		out = append(out, driver.CloneAlertChannel(a.channels[name]))
	}
	return out, nil
}

// DeleteAlertChannel deletes a channel and marks its pending notifications
// failed (store.AlertChannels).
func (s *Store) DeleteAlertChannel(ctx context.Context, p *store.DeleteAlertChannelParams) error {
	const op = "DeleteAlertChannel"
	if err := s.usable(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.DeleteAlertChannelParams{}
	}
	if err := driver.ValidateChannelName(op, p.Name); err != nil {
		return err
	}
	return s.deleteAlertRow(ctx, op, func(a *alertState) bool {
		if _, found := a.channels[p.Name]; !found {
			return false
		}
		delete(a.channels, p.Name)
		for _, q := range a.queue {
			if q.n.Channel == p.Name && q.n.State == inventory.NotificationPending {
				q.n.State, q.n.LastError = inventory.NotificationFailed, driver.ChannelDeletedError
				q.owner, q.leaseUntil = "", time.Time{}
			}
		}
		return true
	}, fmt.Sprintf("alert channel %q", p.Name))
}

// ---------------------------------------------------------------------------
// Notification queue

// enqueue appends a prepared notification and returns its ID.
func (a *alertState) enqueue(n inventory.Notification) int64 {
	a.lastNotification++
	n.ID = a.lastNotification
	a.queue = append(a.queue, &queued{n: n})
	return n.ID
}

// EnqueueNotifications queues notifications (store.NotificationQueue).
func (s *Store) EnqueueNotifications(ctx context.Context, p *store.EnqueueNotificationsParams) ([]int64, error) {
	const op = "EnqueueNotifications"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	ns, err := driver.PrepareEnqueue(p, s.now())
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(ns))
	err = s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageNotifications}, func() {
		a := s.alertRows()
		for i, n := range ns {
			ids[i] = a.enqueue(n)
		}
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// ClaimNotifications leases due notifications to p.Owner
// (store.NotificationQueue).
func (s *Store) ClaimNotifications(ctx context.Context, p *store.ClaimNotificationsParams) ([]inventory.Notification, error) {
	const op = "ClaimNotifications"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	now, until, limit, err := driver.PrepareClaim(p)
	if err != nil {
		return nil, err
	}
	var out []inventory.Notification
	err = s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageNotifications}, func() {
		for _, q := range s.alertRows().queue {
			if len(out) == limit {
				break
			}
			if q.n.State != inventory.NotificationPending || q.n.NextAttempt.After(now) ||
				(q.owner != "" && q.leaseUntil.After(now)) || (p.Channel != "" && q.n.Channel != p.Channel) {
				continue
			}
			q.owner, q.leaseUntil = p.Owner, until
			out = append(out, driver.CloneNotification(q.n))
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FinishNotifications records delivery attempts (store.NotificationQueue).
func (s *Store) FinishNotifications(ctx context.Context, p *store.FinishNotificationsParams) error {
	const op = "FinishNotifications"
	if err := s.usable(op); err != nil {
		return err
	}
	results, err := driver.PrepareFinish(p)
	if err != nil {
		return err
	}
	return s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageNotifications}, func() {
		q := s.alertRows().queue
		for i := range results {
			r := &results[i]
			j, ok := slices.BinarySearchFunc(q, r.ID, func(x *queued, id int64) int { return cmp.Compare(x.n.ID, id) })
			if !ok || q[j].owner != p.Owner || q[j].n.State != inventory.NotificationPending {
				continue
			}
			driver.FinishOne(&q[j].n, r)
			q[j].owner, q[j].leaseUntil = "", time.Time{}
		}
	})
}

// ListNotifications returns notifications newest first
// (store.NotificationQueue).
func (s *Store) ListNotifications(ctx context.Context, p *store.ListNotificationsParams) (*store.NotificationPage, error) {
	const op = "ListNotifications"
	if p == nil {
		p = &store.ListNotificationsParams{}
	}
	before, limit, err := driver.PrepareListNotifications(p)
	if err != nil {
		return nil, err
	}
	a, unlock, err := s.readAlerts(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	page := &store.NotificationPage{}
	for i := len(a.queue) - 1; i >= 0; i-- {
		n := &a.queue[i].n
		if (before > 0 && n.ID >= before) || (p.Channel != "" && n.Channel != p.Channel) ||
			(len(p.States) > 0 && !slices.Contains(p.States, n.State)) || (p.AlertID != 0 && n.Alert.ID != p.AlertID) {
			continue
		}
		if len(page.Notifications) == limit {
			page.NextCursor = driver.NextIDCursor(limit+1, limit, page.Notifications[limit-1].ID)
			break
		}
		page.Notifications = append(page.Notifications, driver.CloneNotification(*n))
	}
	return page, nil
}

// PruneNotifications deletes delivered and failed notifications created
// before p.Before (store.NotificationQueue).
func (s *Store) PruneNotifications(ctx context.Context, p *store.PruneNotificationsParams) (*store.PruneNotificationsResult, error) {
	const op = "PruneNotifications"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := driver.ValidatePruneNotifications(p); err != nil {
		return nil, err
	}
	res := &store.PruneNotificationsResult{}
	err := s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageNotifications}, func() {
		a := s.alertRows()
		a.queue = slices.DeleteFunc(a.queue, func(q *queued) bool {
			done := q.n.State != inventory.NotificationPending && q.n.CreatedAt.Before(p.Before)
			if done {
				res.Deleted++
			}
			return done
		})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
