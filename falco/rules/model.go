package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// Location is where an item starts in a rules file (line and column are
// 1-based, as editors show them).
type Location struct {
	File   string
	Line   int
	Column int
}

func (l Location) String() string {
	if l.File == "" {
		return fmt.Sprintf("line %d", l.Line)
	}
	return fmt.Sprintf("%s:%d", l.File, l.Line)
}

// ValueKind says what a YAML node held.
type ValueKind uint8

const (
	AbsentValue   ValueKind = iota // the key was not present
	NullValue                      // `key:` or `key: ~`
	ScalarValue                    // any scalar, kept as its text
	SequenceValue                  // a YAML list
	MappingValue                   // a YAML map (only its presence matters)
)

// Value is a YAML value as a rules file holds it. Scalars keep their text
// ("80" stays "80"), which is how the conditions and exceptions use them.
type Value struct {
	Kind  ValueKind
	Text  string  // scalar text
	Tag   string  // YAML tag of a scalar: "!!str", "!!int", "!!bool", ...
	Items []Value // sequence elements
	Line  int
}

// Present reports whether the key was given at all (a null value counts).
func (v Value) Present() bool { return v.Kind != AbsentValue }

// Strings returns the scalar texts of a sequence, and false when v is not a
// sequence of scalars.
func (v Value) Strings() ([]string, bool) {
	if v.Kind != SequenceValue {
		return nil, false
	}
	out := make([]string, 0, len(v.Items))
	for _, it := range v.Items {
		if it.Kind != ScalarValue {
			return nil, false
		}
		out = append(out, it.Text)
	}
	return out, true
}

// Bool interprets a scalar the way YAML 1.1 loaders (libyaml/lyaml) do.
func (v Value) Bool() (b bool, ok bool) {
	if v.Kind != ScalarValue {
		return false, false
	}
	switch v.Text {
	case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON":
		return true, true
	case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF":
		return false, true
	}
	return false, false
}

// IsNumber reports whether a scalar is a YAML number (plain int or float).
func (v Value) IsNumber() bool {
	if v.Kind != ScalarValue {
		return false
	}
	return v.Tag == "!!int" || v.Tag == "!!float"
}

// ItemKind is the kind of a top-level item of a rules file.
type ItemKind uint8

const (
	UnknownItem ItemKind = iota
	EngineVersionItem
	PluginVersionsItem
	ListItem
	MacroItem
	RuleItem
	// InvalidItem is a sequence element that is not a mapping (Falco:
	// "Unexpected element of type X").
	InvalidItem
)

func (k ItemKind) String() string {
	switch k {
	case EngineVersionItem:
		return "required_engine_version"
	case PluginVersionsItem:
		return "required_plugin_versions"
	case ListItem:
		return "list"
	case MacroItem:
		return "macro"
	case RuleItem:
		return "rule"
	case InvalidItem:
		return "invalid"
	}
	return "unknown"
}

// Item is one top-level element of a rules file, decoded but not validated:
// the collector checks it in load order, as Falco 0.31.1 does, so the first
// error reported is the one Falco reports.
type Item struct {
	Kind     ItemKind
	Location Location
	// Context is the item's original text as Falco 0.31.1 cuts it: from the
	// item's "- " line to the next non-empty line starting with '-' (empty
	// lines are left out). It ends with a newline.
	Context string
	// Keys holds every key of the mapping, in file order (for diagnostics
	// of unknown items and the 0.37 override checks).
	Keys []string
	// Fields holds the raw values of the mapping's keys.
	Fields map[string]Value
	// TypeName is the Lua type name Falco reports for an InvalidItem
	// ("string", "number", "boolean").
	TypeName string
}

// Field returns the raw value of a key (AbsentValue when missing).
func (it *Item) Field(key string) Value { return it.Fields[key] }

// Name returns the item's name key ("rule", "macro" or "list") as text, and
// false when the name is null or not a scalar (Falco: "Rule name is empty").
func (it *Item) Name() (string, bool) {
	v := it.Fields[it.Kind.String()]
	if v.Kind != ScalarValue {
		return "", false
	}
	return v.Text, true
}

// Exception is one item of a rule's `exceptions` list.
type Exception struct {
	Name   Value // scalar
	Fields Value // scalar (single-field form) or sequence
	Comps  Value // scalar, sequence or absent
	Values Value // sequence or absent
}

// NameText returns the exception's name text ("" when absent).
func (e Exception) NameText() string { return e.Name.Text }

// MultiField reports whether the exception uses the list form of fields.
func (e Exception) MultiField() bool { return e.Fields.Kind == SequenceValue }

// PluginRequirement is one `required_plugin_versions` entry.
type PluginRequirement struct {
	Name         string
	Version      string
	Alternatives []PluginRequirement
}

// Semver is a major.minor.patch version.
type Semver struct{ Major, Minor, Patch uint64 }

func (s Semver) String() string { return fmt.Sprintf("%d.%d.%d", s.Major, s.Minor, s.Patch) }

// Less reports whether s sorts before o.
func (s Semver) Less(o Semver) bool {
	if s.Major != o.Major {
		return s.Major < o.Major
	}
	if s.Minor != o.Minor {
		return s.Minor < o.Minor
	}
	return s.Patch < o.Patch
}

// ParseSemver parses "x.y.z" (a leading "v" and a "-pre"/"+build" suffix
// are accepted and ignored).
func ParseSemver(s string) (Semver, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(t, "-+"); i >= 0 {
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) != 3 {
		return Semver{}, fmt.Errorf("%q is not x.y.z", s)
	}
	var out [3]uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return Semver{}, fmt.Errorf("%q is not x.y.z: %w", s, err)
		}
		out[i] = n
	}
	return Semver{out[0], out[1], out[2]}, nil
}

// Diagnostic is a load error or warning. Message uses Falco 0.31.1's wording;
// Context is the offending item's text (empty for diagnostics Falco prints
// without context).
type Diagnostic struct {
	// Code classifies diagnostics that callers treat specially (for
	// example "unknown-key"); empty for most.
	Code     string
	Message  string
	Location Location
	ItemKind ItemKind
	ItemName string
	Context  string
}

// Text renders the diagnostic as Falco 0.31.1 does: the message, then the
// item text between "---" lines when there is one.
func (d Diagnostic) Text() string {
	if d.Context == "" {
		return d.Message
	}
	return d.Message + "\n---\n" + d.Context + "---"
}

// Error implements error with the position prepended, for logs.
func (d Diagnostic) Error() string {
	var b strings.Builder
	if d.Location.Line > 0 {
		b.WriteString(d.Location.String())
		b.WriteString(": ")
	}
	if d.ItemName != "" {
		fmt.Fprintf(&b, "%s %q: ", d.ItemKind, d.ItemName)
	}
	b.WriteString(d.Message)
	return b.String()
}

// String is a one-line form for logs: position, item and message (without
// the item text).
func (d Diagnostic) String() string { return d.Error() }

// FormatDiagnostics renders a list the way falco_rules::load_rules joins
// them: "N errors:\n" (or warnings) then each text followed by a newline.
func FormatDiagnostics(noun string, ds []Diagnostic) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s:\n", len(ds), noun)
	for _, d := range ds {
		b.WriteString(d.Text())
		b.WriteByte('\n')
	}
	return b.String()
}

// LoadError is a failed load: the errors (Falco stops at the first one) and
// the warnings gathered before it.
type LoadError struct {
	Errors   []Diagnostic
	Warnings []Diagnostic
}

// Error renders the errors exactly as `falco -V` prints them.
func (e *LoadError) Error() string { return FormatDiagnostics("errors", e.Errors) }
