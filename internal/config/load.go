package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/accessvault/vinventory/inventory"
)

// Error is one configuration problem: the key path it concerns
// ("endpoints[1].url", "settings.hourly_snapshot_concurrency"), where it
// came from (a file line or an environment variable) and why. It never
// carries a secret value.
type Error struct {
	// Path is the key path, e.g. "store.driver".
	Path string
	// File and Line locate the key in the YAML file, when known.
	File string
	Line int
	// Env names the environment variable the value came from, when it did.
	Env string
	// Flag names the command-line flag the value came from, when it did.
	Flag string
	// Err says what is wrong.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Flag != "":
		b.WriteString("flag -" + e.Flag + ": ")
	case e.Env != "":
		b.WriteString(e.Env + ": ")
	case e.Line > 0 && e.File != "":
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrUnknownKey is matched (errors.Is) by the Error of a key the schema
// does not have.
var ErrUnknownKey = errors.New("unknown key")

// Getenv looks up an environment variable; os.LookupEnv fits. A nil Getenv
// means an empty environment.
type Getenv func(name string) (string, bool)

// MapEnv returns a Getenv over a map.
func MapEnv(m map[string]string) Getenv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Load reads the YAML file at path (none when path is ""), applies the
// VINVENTORY_* environment overrides from getenv, and validates the result.
// Every problem is reported, joined; each is an *Error naming its key path.
//
// Precedence: defaults < file < environment < flags (see Flags.Load).
//
// Environment overrides are named VINVENTORY_ followed by the key path in
// upper case with "." replaced by "_": VINVENTORY_STORE_DSN,
// VINVENTORY_HTTP_LISTEN, VINVENTORY_LOCATION,
// VINVENTORY_SETTINGS_HOURLY_SNAPSHOT_CONCURRENCY,
// VINVENTORY_SETTINGS_RETENTION_HOURLY_ROWS. Every scalar key of every
// section has one; values are parsed as the key's type (booleans as
// strconv.ParseBool, durations as "2m"/"30d", times of day as "HH:MM").
// settings.pool_tiers takes "pool=tier,pool=tier". (settings.location is
// not separate: VINVENTORY_LOCATION sets the one location.) Endpoints are not
// overridable from the environment (their passwords are, via password_env).
func Load(path string, getenv Getenv) (*Config, error) {
	c, err := load(path, getenv)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func load(path string, getenv Getenv) (*Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := c.decode(bytes.NewReader(data), path); err != nil {
			return nil, err
		}
	}
	if getenv != nil {
		if err := c.applyEnv(getenv); err != nil {
			return nil, err
		}
	}
	c.normalize()
	return c, nil
}

// normalize makes the top-level location authoritative and writes tier
// names in their canonical case.
func (c *Config) normalize() {
	c.Settings.Location = c.Location
	for pool, t := range c.Settings.PoolTiers {
		c.Settings.PoolTiers[pool] = canonicalTier(t)
	}
}

// Parse decodes YAML from r onto the defaults without environment
// overrides or validation; name labels errors (e.g. the file name).
func Parse(r io.Reader, name string) (*Config, error) {
	c := Default()
	if err := c.decode(r, name); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) decode(r io.Reader, name string) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file: defaults
		}
		return &Error{File: name, Err: err}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return &Error{File: name, Line: extra.Line, Err: errors.New("more than one YAML document")}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	d := decoder{file: name, lines: map[string]int{}}
	d.value(root, reflect.ValueOf(c).Elem(), "")
	c.lines, c.file = d.lines, name
	// settings.location is accepted as an alias of location.
	if sl, ok := d.lines["settings.location"]; ok {
		if _, top := d.lines["location"]; !top {
			c.Location = c.Settings.Location
		} else if c.Settings.Location != c.Location {
			d.errs = append(d.errs, &Error{Path: "settings.location", File: name, Line: sl,
				Err: fmt.Errorf("%q conflicts with location %q; set only the top-level location", c.Settings.Location, c.Location)})
		}
	}
	c.normalize()
	return errors.Join(d.errs...)
}

// decoder walks the YAML tree along the Config struct so that every error
// names its key path and line, unknown keys included (the walk is the
// KnownFields check, with paths).
type decoder struct {
	file  string
	lines map[string]int
	errs  []error
}

func (d *decoder) fail(n *yaml.Node, path string, err error) {
	d.errs = append(d.errs, &Error{Path: path, File: d.file, Line: n.Line, Err: err})
}

var (
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	durationType    = reflect.TypeOf(time.Duration(0))
	timeOfDayType   = reflect.TypeOf(TimeOfDay{})
	poolTiersType   = reflect.TypeOf(map[string]inventory.Tier(nil))
)

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if path != "" {
		d.lines[path] = n.Line
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		d.leaf(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, errors.New("must be a mapping"))
			return
		}
		fields := yamlFields(v.Type())
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := k.Value
			p := join(path, key)
			if prev, dup := seen[key]; dup {
				d.fail(k, p, fmt.Errorf("duplicate key (first at line %d)", prev))
				continue
			}
			seen[key] = k.Line
			fi, ok := fields[key]
			if !ok {
				d.fail(k, p, fmt.Errorf("%w (known keys: %s)", ErrUnknownKey, strings.Join(sortedKeys(fields), ", ")))
				continue
			}
			d.lines[p] = k.Line
			d.value(val, v.Field(fi), p)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Struct {
			d.leaf(n, v, path)
			return
		}
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, errors.New("must be a list"))
			return
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			el := out.Index(i)
			if el.Type() == reflect.TypeOf(EndpointConfig{}) {
				el.Set(reflect.ValueOf(defaultEndpoint()))
			}
			d.value(item, el, fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(out)
	default:
		d.leaf(n, v, path)
	}
}

func (d *decoder) leaf(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		d.fail(n, path, errors.New("must not be null (omit the key for the default)"))
		return
	}
	if v.Kind() == reflect.String && n.Kind != yaml.ScalarNode {
		d.fail(n, path, errors.New("must be a string"))
		return
	}
	if v.Type() == durationType {
		// time.Duration would take a bare integer as nanoseconds.
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, errors.New("must be a duration such as 2m, 1h or 30d"))
			return
		}
		dur, err := ParseDuration(n.Value)
		if err != nil {
			d.fail(n, path, err)
			return
		}
		v.SetInt(int64(dur))
		return
	}
	tmp := reflect.New(v.Type())
	if v.Kind() != reflect.Map {
		// Maps are replaced, not merged into the default.
		tmp.Elem().Set(v)
	}
	if err := n.Decode(tmp.Interface()); err != nil {
		d.fail(n, path, cleanYAMLError(err, v.Type(), path))
		return
	}
	v.Set(tmp.Elem())
}

// cleanYAMLError rewrites yaml.v3's "line N: cannot unmarshal !!str `x`
// into int" into a message naming the expected type; the value is not
// repeated (it could be a secret mistyped into the wrong key).
func cleanYAMLError(err error, t reflect.Type, path string) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return fmt.Errorf("must be %s", typeName(t))
	}
	msg := err.Error()
	if i := strings.Index(msg, ": "); strings.HasPrefix(msg, "line ") && i > 0 {
		msg = msg[i+2:]
	}
	return errors.New(msg)
}

func typeName(t reflect.Type) string {
	switch t {
	case durationType:
		return "a duration such as 2m, 1h or 30d"
	case timeOfDayType:
		return `a time of day such as "00:15"`
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Map:
		return "a mapping of strings"
	case reflect.Slice:
		return "a list"
	}
	return "a " + t.String()
}

func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = i
	}
	return m
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	// Field order is the schema order, which reads better than sorting.
	idx := func(k string) int { return m[k] }
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && idx(out[j]) < idx(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// setOrigin records that path was set from an environment variable or a
// flag, so validation errors name that rather than a file line.
func (c *Config) setOrigin(path, env, flag string) {
	if c.origins == nil {
		c.origins = map[string][2]string{}
	}
	c.origins[path] = [2]string{env, flag}
}

// lineOf returns the file line of path, or of its nearest parent present
// in the file, or 0.
func (c *Config) lineOf(path string) int {
	for p := path; p != ""; {
		if l, ok := c.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// EnvPrefix starts every environment override.
const EnvPrefix = "VINVENTORY_"

// EnvName returns the environment variable that overrides the key path,
// e.g. EnvName("settings.hourly_snapshot_concurrency") is
// "VINVENTORY_SETTINGS_HOURLY_SNAPSHOT_CONCURRENCY".
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// EnvVars lists every environment override with the key path it sets, in
// schema order.
func EnvVars() [][2]string {
	var out [][2]string
	walkLeaves(reflect.TypeOf(Config{}), "", func(path string, _ []int) {
		out = append(out, [2]string{EnvName(path), path})
	})
	return out
}

// walkLeaves calls f for every env-overridable key (scalars and
// pool_tiers; not endpoints).
func walkLeaves(t reflect.Type, path string, f func(path string, index []int)) {
	var walk func(t reflect.Type, path string, index []int)
	walk = func(t reflect.Type, path string, index []int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
			if !sf.IsExported() || name == "" || name == "-" {
				continue
			}
			p := join(path, name)
			idx := append(append([]int(nil), index...), i)
			ft := sf.Type
			switch {
			case p == "settings.location":
				// the top-level location is authoritative
			case ft == durationType, ft == timeOfDayType, ft == poolTiersType:
				f(p, idx)
			case ft.Kind() == reflect.Struct:
				walk(ft, p, idx)
			case ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map:
				// endpoints and maps: file only
			default:
				f(p, idx)
			}
		}
	}
	walk(t, path, nil)
}

func (c *Config) applyEnv(getenv Getenv) error {
	var errs []error
	v := reflect.ValueOf(c).Elem()
	walkLeaves(v.Type(), "", func(path string, index []int) {
		name := EnvName(path)
		s, ok := getenv(name)
		if !ok {
			return
		}
		if err := setFromString(v.FieldByIndex(index), s); err != nil {
			errs = append(errs, &Error{Path: path, Env: name, Err: err})
		}
		c.setOrigin(path, name, "")
	})
	return errors.Join(errs...)
}

// setFromString parses s as the type of v. Errors quote s only for types
// whose values are never secret (numbers, booleans, durations, times).
func setFromString(v reflect.Value, s string) error {
	switch v.Type() {
	case durationType:
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	case timeOfDayType:
		t, err := ParseTimeOfDay(s)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(t))
		return nil
	case poolTiersType:
		p, err := ParsePoolTiers(s)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(p))
		return nil
	}
	s = strings.TrimSpace(s)
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("must be true or false, got %q", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("must be an integer, got %q", s)
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("must be a number, got %q", s)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
