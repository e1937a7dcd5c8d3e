package metrics

import (
	"errors"
	"fmt"
)

// ErrInvalidParams is matched (errors.Is) by every *ParamError.
var ErrInvalidParams = errors.New("metrics: invalid params")

// ParamError names a params field of CapacityTrends or RightSize that
// cannot be acted on. Nothing was read.
type ParamError struct {
	// Op is the function, e.g. "CapacityTrends".
	Op     string
	Field  string
	Reason string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("metrics: %s: invalid %s: %s", e.Op, e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidParams) true.
func (e *ParamError) Is(target error) bool { return target == ErrInvalidParams }
