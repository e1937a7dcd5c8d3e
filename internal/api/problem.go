package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// Problem is an RFC 9457 problem document, the body of every error.
type Problem struct {
	Type   string `json:"type" doc:"A URI naming the problem type; about:blank when the status says it all."`
	Title  string `json:"title" doc:"The status text, e.g. Unprocessable Entity."`
	Status int    `json:"status" doc:"The HTTP status code."`
	Detail string `json:"detail,omitempty" doc:"What went wrong, naming the parameter."`
	// InvalidParams lists each rejected parameter.
	InvalidParams []InvalidParam `json:"invalid_params,omitempty" doc:"Each rejected parameter and why."`
}

// InvalidParam is one rejected parameter.
type InvalidParam struct {
	Name   string `json:"name" doc:"The parameter, e.g. limit or body.from."`
	Reason string `json:"reason"`
}

func (p *Problem) Error() string { return p.Detail }

// GetStatus is the HTTP status.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType is application/problem+json whatever the request accepts
// (CSV included).
func (p *Problem) ContentType(string) string { return "application/problem+json" }

// newProblem is huma.NewError: every error huma or a handler returns is a
// Problem. Causes are listed as invalid parameters only for client errors
// (huma's validation details); a server error's causes stay in the log.
func newProblem(status int, msg string, errs ...error) huma.StatusError {
	p := &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: msg}
	if status == 499 {
		p.Title = "Client Closed Request"
	}
	if status >= 500 {
		return p
	}
	for _, err := range errs {
		if err == nil {
			continue
		}
		var d *huma.ErrorDetail
		if errors.As(err, &d) {
			p.InvalidParams = append(p.InvalidParams, InvalidParam{Name: paramName(d.Location), Reason: d.Message})
			continue
		}
		p.InvalidParams = append(p.InvalidParams, InvalidParam{Reason: err.Error()})
	}
	if len(p.InvalidParams) > 0 && (msg == "" || msg == "validation failed") {
		var parts []string
		for _, ip := range p.InvalidParams {
			parts = append(parts, fmt.Sprintf("%s: %s", ip.Name, ip.Reason))
		}
		p.Detail = "invalid parameters: " + strings.Join(parts, "; ")
	}
	return p
}

// paramName turns huma's location ("query.limit", "path.id", "body.from")
// into the parameter's name (body fields keep their prefix).
func paramName(loc string) string {
	for _, prefix := range []string{"query.", "path.", "header."} {
		if s, ok := strings.CutPrefix(loc, prefix); ok {
			return s
		}
	}
	return loc
}

// invalid is a 422 naming one parameter.
func invalid(name, reason string) error {
	return huma.Error422UnprocessableEntity("", &huma.ErrorDetail{Location: "query." + name, Message: reason})
}
