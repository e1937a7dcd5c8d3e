package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	v, _, err := s.visitorOf(r)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	p := &page{s: s, w: w, r: r, v: v, Flash: r.URL.Query().Get("msg"), Alert: r.URL.Query().Get("error")}
	p.render(http.StatusOK, loginView(p, safeNext(r.URL.Query().Get("next"))))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Redirect(w, r, "/login?error="+url.QueryEscape("The form could not be read."), http.StatusSeeOther)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	p, ok, err := s.api.Authenticate(r.Context(), secret)
	if err != nil {
		s.log.Error("web: sign-in", slog.Any("error", err))
		s.errorPage(w, r, http.StatusInternalServerError, "Internal error; see the server log.")
		return
	}
	if !ok || secret == "" {
		s.log.Info("web: refused a sign-in", slog.String("from", clientIP(r)))
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next)+"&error="+url.QueryEscape("That token is not valid (unknown or revoked)."), http.StatusSeeOther)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.o.SessionTTL / time.Second)})
	s.log.Info("web: signed in", slog.String("token", p.Name), slog.String("role", p.Role.String()), slog.String("from", clientIP(r)))
	http.Redirect(w, r, next+sep(next)+"msg="+url.QueryEscape("Signed in as "+p.Name+" ("+p.Role.String()+")."), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/?msg="+url.QueryEscape("Signed out."), http.StatusSeeOther)
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

func requireNote(p *page) string {
	if p.s.o.RequireLogin {
		return " (except here: this server asks every visitor to sign in)"
	}
	return ""
}
