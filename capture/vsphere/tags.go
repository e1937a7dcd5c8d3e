package vsphere

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
)

// tagClient reads vSphere tags through the vSphere Automation (REST) API,
// with its own session: logged in on first use, renewed once when a call
// answers 401, logged out on Close.
type tagClient struct {
	s *Source

	mu       sync.Mutex // guards the fields below and serializes logins
	rc       *rest.Client
	loggedIn bool
	gen      uint64 // REST logins so far
	absent   bool   // the server does not serve the API (404)
}

func newTagClient(s *Source) *tagClient { return &tagClient{s: s} }

// session returns the REST client logged in, and its login generation.
func (t *tagClient) session(ctx context.Context, stale uint64, renew bool) (*rest.Client, uint64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.absent {
		return nil, 0, errTagsAbsent
	}
	if t.loggedIn && (!renew || t.gen != stale) {
		return t.rc, t.gen, nil
	}
	if t.rc == nil {
		t.rc = rest.NewClient(t.s.vc)
		// Probe before asking for credentials: a server without the API
		// answers 404, one with it 401 (no session yet).
		cctx, cancel := context.WithTimeout(ctx, t.s.opts.CallTimeout)
		_, err := t.rc.Session(cctx)
		cancel()
		if rest.IsStatusError(err, http.StatusNotFound) {
			t.absent = true
			t.s.log.Info("the endpoint does not serve the tagging API; VMs get no tags")
			return nil, 0, errTagsAbsent
		}
		if err != nil {
			t.rc = nil // probe again next time
			return nil, 0, t.s.classifyREST(err)
		}
	}
	user, pass, err := t.s.opts.Credentials(ctx)
	if user == "" {
		user = t.s.ep.Username
	}
	if err != nil {
		return nil, 0, &LoginError{Endpoint: t.s.ep.Name, Username: user, Err: err}
	}
	cctx, cancel := context.WithTimeout(ctx, t.s.opts.CallTimeout)
	defer cancel()
	err = t.rc.Login(cctx, url.UserPassword(user, pass))
	switch {
	case err == nil:
	case rest.IsStatusError(err, http.StatusNotFound):
		t.absent = true
		t.s.log.Info("the endpoint does not serve the tagging API; VMs get no tags")
		return nil, 0, errTagsAbsent
	case rest.IsStatusError(err, http.StatusUnauthorized):
		return nil, 0, &LoginError{Endpoint: t.s.ep.Name, Username: user, Err: errors.New("the vSphere Automation API refused the credentials (401)")}
	default:
		return nil, 0, t.s.classifyREST(err)
	}
	t.loggedIn = true
	t.gen++
	return t.rc, t.gen, nil
}

var errTagsAbsent = errors.New("tagging API not offered")

// call runs fn with a logged-in client and a per-call deadline, renewing
// the session once when fn answers 401.
func (t *tagClient) call(ctx context.Context, fn func(context.Context, *tags.Manager) error) error {
	rc, gen, err := t.session(ctx, 0, false)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, t.s.opts.CallTimeout)
		err = fn(cctx, tags.NewManager(rc))
		cancel()
		if err == nil || attempt == 1 || !rest.IsStatusError(err, http.StatusUnauthorized) {
			if err != nil && !rest.IsStatusError(err, http.StatusUnauthorized) {
				err = t.s.classifyREST(err)
			}
			return err
		}
		if rc, gen, err = t.session(ctx, gen, true); err != nil {
			return err
		}
	}
}

// vmTags returns, per VM id, the "tag:<category>" attributes of the VM.
// It returns nil when the endpoint does not serve the tagging API.
func (t *tagClient) vmTags(ctx context.Context) (map[string]map[string]string, error) {
	var ids []string
	err := t.call(ctx, func(ctx context.Context, m *tags.Manager) error {
		var err error
		ids, err = m.ListTags(ctx)
		return err
	})
	if errors.Is(err, errTagsAbsent) {
		return nil, nil
	}
	if err != nil || len(ids) == 0 {
		return nil, err
	}

	// Which VMs carry which tags, in batches of tag ids.
	vmTagIDs := map[string][]string{}
	used := map[string]bool{}
	for chunk := range slices.Chunk(ids, 500) {
		var attached []tags.AttachedObjects
		err := t.call(ctx, func(ctx context.Context, m *tags.Manager) error {
			var err error
			attached, err = m.ListAttachedObjectsOnTags(ctx, chunk)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, a := range attached {
			for _, o := range a.ObjectIDs {
				if ref := o.Reference(); ref.Type == tVM {
					vmTagIDs[ref.Value] = append(vmTagIDs[ref.Value], a.TagID)
					used[a.TagID] = true
				}
			}
		}
	}
	if len(vmTagIDs) == 0 {
		return nil, nil
	}

	// Names of the tags in use and of their categories.
	var (
		mu       sync.Mutex
		tagInfo  = map[string]*tags.Tag{}
		catNames = map[string]string{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(t.s.opts.Concurrency)
	for id := range used {
		g.Go(func() error {
			return t.call(gctx, func(ctx context.Context, m *tags.Manager) error {
				tag, err := m.GetTag(ctx, id)
				if err == nil {
					mu.Lock()
					tagInfo[id] = tag
					mu.Unlock()
				}
				return err
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	cats := map[string]bool{}
	for _, tag := range tagInfo {
		cats[tag.CategoryID] = true
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(t.s.opts.Concurrency)
	for id := range cats {
		g.Go(func() error {
			return t.call(gctx, func(ctx context.Context, m *tags.Manager) error {
				c, err := m.GetCategory(ctx, id)
				if err == nil {
					mu.Lock()
					catNames[id] = c.Name
					mu.Unlock()
				}
				return err
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	out := make(map[string]map[string]string, len(vmTagIDs))
	for vm, tids := range vmTagIDs {
		byCat := map[string][]string{}
		for _, id := range tids {
			tag := tagInfo[id]
			if tag == nil {
				continue
			}
			key := "tag:" + catNames[tag.CategoryID]
			byCat[key] = append(byCat[key], tag.Name)
		}
		attrs := make(map[string]string, len(byCat))
		for k, names := range byCat {
			slices.Sort(names)
			attrs[k] = strings.Join(slices.Compact(names), ", ")
		}
		out[vm] = attrs
	}
	return out, nil
}

// keepAlive touches the REST session; a session the server dropped is
// forgotten and re-created on next use.
func (t *tagClient) keepAlive(ctx context.Context) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.loggedIn {
		return
	}
	sess, err := t.rc.Session(ctx)
	if err == nil && sess == nil {
		t.loggedIn = false
	}
}

func (t *tagClient) logout(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.loggedIn {
		return nil
	}
	t.loggedIn = false
	if err := t.rc.Logout(ctx); err != nil && !rest.IsStatusError(err, http.StatusUnauthorized) {
		t.s.log.Debug("REST logout failed", slog.Any("error", err))
	}
	return nil
}

// classifyREST turns transport errors of REST calls into typed errors and
// leaves HTTP status errors alone.
func (s *Source) classifyREST(err error) error {
	if _, ok := errors.AsType[*url.Error](err); ok {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return s.classify(err)
	}
	return err
}
