package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/accessvault/vinventory/store/driver"
)

// Scanner is what scans one row: *sql.Rows, Rows.
type Scanner interface {
	Scan(dest ...any) error
}

// timeDest scans a time column of either backend (INTEGER unix
// microseconds, timestamptz, or NULL) into a UTC time.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.t = time.Time{}
	case int64:
		*d.t = time.UnixMicro(v).UTC()
	case time.Time:
		// driver.NormTime, without its Truncate when the value is already
		// at the stored precision (always, for timestamptz columns):
		// Precision divides a second, so the remainder is this one.
		if u := v.UTC(); !v.IsZero() && u.Nanosecond()%int(driver.Precision) == 0 {
			*d.t = u
		} else {
			*d.t = driver.NormTime(v)
		}
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a time", src)
	}
	return nil
}

// durationDest scans nanoseconds into a time.Duration.
type durationDest struct{ d *time.Duration }

func (d durationDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.d = 0
	case int64:
		*d.d = time.Duration(v)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a duration", src)
	}
	return nil
}

// mapDest scans a JSON object (or NULL) into a map; empty maps become nil.
type mapDest struct{ m *map[string]string }

func (d mapDest) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*d.m = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a map", src)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("sqlstore: decoding JSON map: %w", err)
	}
	if len(m) == 0 {
		m = nil
	}
	*d.m = m
	return nil
}

// jsonDest scans a JSON value (or NULL, leaving the zero value) into v.
type jsonDest struct{ v any }

func (d jsonDest) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("sqlstore: cannot scan %T as JSON", src)
	}
	if err := json.Unmarshal(b, d.v); err != nil {
		return fmt.Errorf("sqlstore: decoding JSON: %w", err)
	}
	return nil
}

// bytesDest scans a blob, keeping NULL and empty as nil.
type bytesDest struct{ b *[]byte }

func (d bytesDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.b = nil
	case []byte:
		if len(v) == 0 {
			*d.b = nil
		} else {
			*d.b = append([]byte(nil), v...)
		}
	case string:
		if v == "" {
			*d.b = nil
		} else {
			*d.b = []byte(v)
		}
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into bytes", src)
	}
	return nil
}

// jsonMap encodes a map argument: NULL when empty.
func jsonMap(m map[string]string) any {
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil { // cannot happen for map[string]string
		panic(err)
	}
	return string(b)
}

// jsonMapBytes encodes a map as JSON: nil when empty.
func jsonMapBytes(m map[string]string) []byte {
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil { // cannot happen for map[string]string
		panic(err)
	}
	return b
}

// jsonValue encodes a JSON argument.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// bytesArg encodes a blob argument: NULL when empty.
func bytesArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
