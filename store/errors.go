package store

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrNotFound is returned when a requested row does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrUnsupported is returned for a request that needs an optional
	// interface the backend does not implement (such as a write's Compat
	// flag without CompatTables).
	ErrUnsupported = errors.New("store: unsupported by this backend")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("store: closed")
	// ErrStopScan may be returned by a scan callback to end the scan early;
	// the scan then returns nil.
	ErrStopScan = errors.New("store: stop scan")
	// ErrConflict is wrapped by a *ConflictError: a write refused because
	// a stored row already holds a value that must be unique.
	ErrConflict = errors.New("store: conflict")
)

// InvalidParamsError reports params that cannot be acted on. Nothing was
// written.
type InvalidParamsError struct {
	// Op is the method, e.g. "WriteSnapshot".
	Op string
	// Field names the offending field, e.g. "Samples[3].VMID".
	Field  string
	Reason string
}

func (e *InvalidParamsError) Error() string {
	return fmt.Sprintf("store: %s: invalid %s: %s", e.Op, e.Field, e.Reason)
}

// ConflictError reports a write refused because a stored row already
// holds a value that must be unique (such as the name of a token that is
// not revoked). Nothing was written. It wraps ErrConflict.
type ConflictError struct {
	// Op is the method, e.g. "CreateToken".
	Op string
	// Field names the conflicting field, e.g. "Name".
	Field  string
	Reason string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("store: %s: conflicting %s: %s", e.Op, e.Field, e.Reason)
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// WriteError reports a write that failed and was rolled back: nothing of it
// was stored.
type WriteError struct {
	// Op is the method, e.g. "WriteSnapshot".
	Op string
	// Vcenter and SnapshotTime identify the snapshot or period, when the
	// write concerned one.
	Vcenter      string
	SnapshotTime time.Time
	// Stage names the step that failed.
	Stage WriteStage
	Err   error
}

// WriteStage is the step of a write a WriteError names.
type WriteStage string

// Steps of a write.
const (
	StageBegin          WriteStage = "begin"
	StageSamples        WriteStage = "samples"
	StageInventory      WriteStage = "inventory"
	StageTotals         WriteStage = "totals"
	StageRegistry       WriteStage = "registry"
	StageCompat         WriteStage = "compat"
	StageLifecycles     WriteStage = "lifecycles"
	StageEvents         WriteStage = "events"
	StageEndpointEvents WriteStage = "endpoint events"
	StageReconcileState WriteStage = "reconcile state"
	StageEndpoints      WriteStage = "endpoints"
	StageRollups        WriteStage = "rollups"
	StageReports        WriteStage = "reports"
	StageTokens         WriteStage = "tokens"
	StageAudit          WriteStage = "audit"
	StageRateCards      WriteStage = "rate cards"
	StageHistory        WriteStage = "history"
	StageDetails        WriteStage = "details"
	StageChanges        WriteStage = "changes"
	StageAlerts         WriteStage = "alerts"
	StageNotifications  WriteStage = "notifications"
	StageCommit         WriteStage = "commit"
)

func (e *WriteError) Error() string {
	s := "store: " + e.Op
	if e.Vcenter != "" {
		s += " " + e.Vcenter
	}
	if !e.SnapshotTime.IsZero() {
		s += " @" + e.SnapshotTime.UTC().Format(time.RFC3339)
	}
	if e.Stage != "" {
		s += " (" + string(e.Stage) + ")"
	}
	return s + ": rolled back: " + e.Err.Error()
}

func (e *WriteError) Unwrap() error { return e.Err }
