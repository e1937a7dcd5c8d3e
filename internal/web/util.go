package web

import (
	"cmp"
	"errors"
	"slices"

	"github.com/accessvault/vinventory/internal/api"
)

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// isStatus reports whether err is an API problem with status.
func isStatus(err error, status int) bool {
	var pr *api.Problem
	return errors.As(err, &pr) && pr.Status == status
}
