package collector

import (
	"github.com/falco-trace/falco-trace/falco/rules"
)

// SyscallSource is the only event source falco-trace evaluates.
const SyscallSource = "syscall"

// List is a list definition after redefinitions and appends.
type List struct {
	Name     string
	Items    []string
	Location rules.Location
	Context  string
}

// Macro is a macro definition after redefinitions and appends.
type Macro struct {
	Name      string
	Condition string
	Source    string
	Location  rules.Location
	Context   string
}

// Exception is a validated rule exception. Single-field exceptions have one
// field and one comparison operator and MultiField false.
type Exception struct {
	Name       string
	Fields     []string
	Comps      []string
	MultiField bool
	// Values are the raw YAML values: for MultiField each is a tuple
	// (sequence) whose elements are scalars or sequences; otherwise each
	// is a scalar.
	Values []rules.Value
}

// Rule is a rule definition after redefinitions, appends and enabled-only
// overrides, ready for the compiler.
type Rule struct {
	Name                string
	Condition           string
	Output              string // trimmed, as Falco 0.31.1 does
	Desc                string
	Priority            rules.Priority
	PriorityText        string // as written in the file
	Tags                []string
	Enabled             bool
	Exceptions          []Exception
	Source              string
	WarnEvttypes        bool
	SkipIfUnknownFilter bool
	Location            rules.Location
	Context             string
	// Engine is the required_engine_version declared by the file that
	// defined the rule (zero when none).
	Engine EngineVersion
}

// SkippedRule is a rule that is not loaded, and why.
type SkippedRule struct {
	Name     string
	Priority string
	Source   string
	Location rules.Location
	Reason   string
}

// EngineVersion is a parsed required_engine_version.
type EngineVersion struct {
	Set      bool
	IsNumber bool
	Number   float64
	Raw      string
	Semver   rules.Semver
}

// Newer reports whether the rules file targets an engine newer than Falco
// 0.31.1's (numeric version above 11, or any semver form, which only 0.37+
// understands). Such files were written for a newer libsinsp, so rules whose
// fields or operators the installed one lacks are skipped with a warning
// instead of failing the load.
func (v EngineVersion) Newer() bool {
	if !v.Set {
		return false
	}
	if v.IsNumber {
		return v.Number > Falco031EngineVersion
	}
	return true
}

// State is everything collected so far, in definition order. The compiler
// reads it; it is not modified by compiling.
type State struct {
	Lists   []*List
	Macros  []*Macro
	Rules   []*Rule
	Skipped []*SkippedRule
	Plugins []rules.PluginRequirement

	lists   map[string]*List
	macros  map[string]*Macro
	rules   map[string]*Rule
	skipped map[string]*SkippedRule
}

// List returns the list called name, or nil.
func (s *State) List(name string) *List { return s.lists[name] }

// Macro returns the macro called name, or nil.
func (s *State) Macro(name string) *Macro { return s.macros[name] }

// Rule returns the rule called name, or nil.
func (s *State) Rule(name string) *Rule { return s.rules[name] }
