package api

import (
	"context"
	"slices"
)

// scope is the set of vCenters a request may see: every one, or the
// token's list. A scoped token never receives a byte of another vCenter's
// data: lists drop those rows, details and traces answer 404 as if the
// object did not exist.
type scope struct {
	all  bool
	list []string
}

// scopeOf returns the scope of a request's principal.
func scopeOf(ctx context.Context) scope {
	p, ok := PrincipalFrom(ctx)
	if !ok || len(p.Vcenters) == 0 {
		return scope{all: true}
	}
	return scope{list: p.Vcenters}
}

// sees reports whether vc is visible.
func (s scope) sees(vc string) bool { return s.all || slices.Contains(s.list, vc) }

// filter turns a request's vcenter filter into the store's: the vCenter to
// ask the store for ("" = every one) and whether the rows must still be
// filtered by sees. ok is false when nothing can be visible (the request
// names a vCenter outside the scope).
func (s scope) filter(vc string) (storeVC string, post, ok bool) {
	switch {
	case s.all:
		return vc, false, true
	case vc != "":
		return vc, false, s.sees(vc)
	case len(s.list) == 1:
		return s.list[0], false, true
	}
	return "", true, true
}

// visible keeps the items whose vCenter the scope sees, never nil.
func visible[T any](s scope, items []T, vc func(T) string) []T {
	if s.all {
		return orEmpty(items)
	}
	return keep(items, func(x T) bool { return s.sees(vc(x)) })
}
