package sqlstore

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/accessvault/vinventory/store"
)

// checkNUL rejects NUL bytes and invalid UTF-8 in every string of v
// (struct fields, slice elements, map keys and values): PostgreSQL's text
// cannot hold them, and page cursors (JSON) cannot carry invalid UTF-8
// byte-exactly, so both SQL backends refuse them alike. The store helpers
// check samples; this covers the other rows. field names v in errors.
func checkNUL(op, field string, v any) error {
	return walkNUL(op, field, reflect.ValueOf(v))
}

func walkNUL(op, field string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		if strings.IndexByte(v.String(), 0) >= 0 {
			return store.Invalid(op, field, "contains a NUL byte")
		}
		if !utf8.ValidString(v.String()) {
			return store.Invalid(op, field, "is not valid UTF-8")
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return walkNUL(op, field, v.Elem())
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				name := field + "." + f.Name
				if f.Anonymous {
					name = field
				}
				if err := walkNUL(op, name, v.Field(i)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // blobs are stored as given
		}
		for i := 0; i < v.Len(); i++ {
			if err := walkNUL(op, fmt.Sprintf("%s[%d]", field, i), v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if err := walkNUL(op, field, it.Key()); err != nil {
				return err
			}
			if err := walkNUL(op, field, it.Value()); err != nil {
				return err
			}
		}
	}
	return nil
}
