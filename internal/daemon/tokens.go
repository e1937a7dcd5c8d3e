package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/store"
)

// tokenCommand is `vinventoryd token create|list|revoke`: API tokens kept
// in the store (as SHA-256 hashes), for a first admin token without the
// API, or for scripts. The secret is printed once, at creation.
func tokenCommand(ctx context.Context, a *App, args []string, stdout io.Writer) error {
	ts, ok := a.Store.(store.TokenStore)
	if !ok {
		return errors.New("token: this store keeps no API tokens")
	}
	if len(args) == 0 {
		return usageError{errors.New("token create|list|revoke [flags]")}
	}
	fs := flag.NewFlagSet("token "+args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	switch args[0] {
	case "create":
		name := fs.String("name", "", "the token's name (who it is for; shown in the audit log)")
		role := fs.String("role", "viewer", "viewer, operator or admin")
		var vcs multiFlag
		fs.Var(&vcs, "vcenter", "scope the token to this vCenter (repeatable; default every vCenter)")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err}
		}
		r, err := api.ParseRole(*role)
		if err != nil {
			return usageError{err}
		}
		if *name == "" {
			return usageError{errors.New("token create: -name is required")}
		}
		secret, tok, err := api.NewToken(*name, r)
		if err != nil {
			return err
		}
		info, err := ts.CreateToken(ctx, &store.CreateTokenParams{Name: *name, Role: r.String(), Vcenters: vcs, Hash: tok.Hash[:], CreatedBy: "vinventoryd token create"})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created token %d %q (%s%s)\n%s\nKeep the secret now: it is not stored and cannot be shown again.\n",
			info.ID, info.Name, info.Role, scopeText(info.Vcenters), secret)
		return nil
	case "list":
		all := fs.Bool("all", false, "include revoked tokens")
		asJSON := fs.Bool("json", false, "print JSON lines")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err}
		}
		toks, err := ts.ListTokens(ctx, &store.ListTokensParams{IncludeRevoked: *all})
		if err != nil {
			return err
		}
		return printRows(stdout, *asJSON, toks, func(t store.TokenInfo) string {
			state := "active"
			if t.Revoked() {
				state = "revoked " + t.RevokedAt.UTC().Format(time.RFC3339)
			}
			return fmt.Sprintf("%-6d %-30q %-8s %s created=%s%s", t.ID, t.Name, t.Role, state, t.CreatedAt.UTC().Format(time.RFC3339), scopeText(t.Vcenters))
		})
	case "revoke":
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err}
		}
		if fs.NArg() != 1 {
			return usageError{errors.New("token revoke ID")}
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil {
			return usageError{fmt.Errorf("token revoke: %q is not a token ID", fs.Arg(0))}
		}
		t, err := ts.RevokeToken(ctx, &store.RevokeTokenParams{ID: id})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %d %q\n", t.ID, t.Name)
		return nil
	}
	return usageError{fmt.Errorf("token %q: want create, list or revoke", args[0])}
}

func scopeText(vcs []string) string {
	if len(vcs) == 0 {
		return ""
	}
	return ", vCenters " + strings.Join(vcs, ", ")
}
