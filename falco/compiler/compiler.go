// Package compiler turns the collected lists, macros and rules into compiled
// rules: exceptions become condition text, lists and macros are resolved
// with falco/condition, the canonical condition is compiled by a
// FilterFactory (libsinsp in production, a fake in tests) and outputs are
// validated. It follows Falco 0.31.1 (engine-spec §1.6-§1.10, §2.3, §3.6):
// the first error aborts the whole load and nothing is returned half loaded.
package compiler

import (
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/falco-trace/falco-trace/falco/collector"
	"github.com/falco-trace/falco-trace/falco/condition"
	"github.com/falco-trace/falco-trace/falco/rules"
)

// FilterFactory compiles canonical conditions and checks outputs and field
// names. The CLI adapts bridge/sinsp to it.
type FilterFactory interface {
	// CompileFilter compiles a canonical condition (as emitted by
	// falco/condition). Error texts are libsinsp's.
	CompileFilter(canonical string) (Filter, error)
	// ValidateOutput builds a formatter for format; error text is libsinsp's.
	ValidateOutput(format string) error
	// FieldExists reports whether name is an exact field (arguments such as
	// proc.aname[2] allowed, no prefix match).
	FieldExists(name string) bool
}

// Filter is a compiled condition. Implementations may also implement
// io.Closer; the compiler closes the filters of a failed load and
// Result.Close closes the others.
type Filter interface {
	EventTypes() []uint16
}

// Options configures the compilation.
type Options struct {
	// OutputExtra and ReplaceContainerInfo are Falco's -p option (§3.6).
	// The zero value is Falco's behaviour without -p.
	OutputExtra          string
	ReplaceContainerInfo bool
}

// maxEventTypes is the size above which a rule "matches too many evt.type
// values" (Falco 0.31.1 rules.cpp). libsinsp e5c53d64 reports 270 types for
// a filter that does not restrict evt.type.
const maxEventTypes = 100

// CompiledRule is one rule after loading, in load order.
type CompiledRule struct {
	Name         string
	Desc         string
	Priority     rules.Priority
	PriorityText string // as written in the rules file
	Tags         []string
	Enabled      bool
	Source       string
	// Condition is the rule's condition as written (appends joined), before
	// exceptions.
	Condition string
	// FullCondition is Condition with the exceptions added, as Falco 0.31.1
	// builds it before list substitution.
	FullCondition string
	// Canonical is the string compiled by libsinsp (empty when skipped
	// before compiling).
	Canonical string
	// EventTypes are the PPME event types the filter can match (libsinsp's
	// set: all 270 types on e5c53d64 when evt.type is unrestricted).
	EventTypes []uint16
	// Output is the output format after %container.info processing, without
	// Falco's leading '*' (the alert formatter adds it, §3.1).
	Output          string
	ExceptionFields []string
	Location        rules.Location
	// Filter is the compiled condition; nil when the rule is skipped.
	Filter Filter
	// NeverMatches is set when the condition folds to constant false (a
	// set operand from an empty list, engine-spec §2.3): like Falco 0.31.1
	// the rule loads but never fires. Canonical is then the always-false
	// placeholder, which libsinsp indexes under every event type, so the
	// ruleset need not install the rule at all.
	NeverMatches bool
	// SkipReason is non-empty when the rule is not loaded (unknown field with
	// skip-if-unknown-filter, a feature the installed libsinsp lacks in a
	// rules file for a newer engine, minimum priority, unknown source).
	SkipReason string
}

// Skipped reports whether the rule is not loaded.
func (r *CompiledRule) Skipped() bool { return r.SkipReason != "" }

// Result is a successful load.
type Result struct {
	// Rules holds every defined rule in load order: loaded ones and those
	// skipped while compiling (SkipReason set, Filter nil).
	Rules []*CompiledRule
	// NotLoaded holds the rules the collector left out (minimum priority,
	// unknown source), with their SkipReason.
	NotLoaded []*CompiledRule
	// Warnings are the collector's and the compiler's warnings, in order.
	Warnings []rules.Diagnostic
	// Plugins are the required_plugin_versions entries of the files.
	Plugins []rules.PluginRequirement
}

// Loaded returns the rules that compiled, in load order.
func (r *Result) Loaded() []*CompiledRule {
	var out []*CompiledRule
	for _, cr := range r.Rules {
		if !cr.Skipped() {
			out = append(out, cr)
		}
	}
	return out
}

// Rule returns the rule called name (loaded, skipped or not loaded), or nil.
func (r *Result) Rule(name string) *CompiledRule {
	for _, cr := range r.Rules {
		if cr.Name == name {
			return cr
		}
	}
	for _, cr := range r.NotLoaded {
		if cr.Name == name {
			return cr
		}
	}
	return nil
}

// Close closes every filter that implements io.Closer.
func (r *Result) Close() {
	for _, cr := range r.Rules {
		closeFilter(cr.Filter)
		cr.Filter = nil
	}
}

func closeFilter(f Filter) {
	if c, ok := f.(io.Closer); ok {
		_ = c.Close()
	}
}

// Compile compiles the collected state. On error it returns a
// *rules.LoadError (with the warnings gathered so far) and no result.
func Compile(st *collector.State, warnings []rules.Diagnostic, factory FilterFactory, opts Options) (*Result, error) {
	c := &compilation{
		st:       st,
		factory:  factory,
		opts:     opts,
		res:      &Result{Warnings: append([]rules.Diagnostic(nil), warnings...), Plugins: st.Plugins},
		lists:    map[string][]string{},
		listUsed: map[string]bool{},
		macros:   map[string]condition.Node{},
		macroUse: map[string]bool{},
	}
	if d := c.run(); d != nil {
		c.res.Close()
		return nil, &rules.LoadError{Errors: []rules.Diagnostic{*d}, Warnings: c.res.Warnings}
	}
	return c.res, nil
}

type compilation struct {
	st       *collector.State
	factory  FilterFactory
	opts     Options
	res      *Result
	lists    map[string][]string // expanded and quoted, as 0.31.1 stores them
	listUsed map[string]bool
	macros   map[string]condition.Node // unexpanded ASTs
	macroUse map[string]bool
	macroOK  []string // syscall macros compiled, in order
}

func (c *compilation) run() *rules.Diagnostic {
	c.compileLists()
	for _, m := range c.st.Macros {
		if d := c.compileMacro(m); d != nil {
			return d
		}
	}
	for _, r := range c.st.Rules {
		if d := c.compileRule(r); d != nil {
			return d
		}
	}
	for _, s := range c.st.Skipped {
		c.res.NotLoaded = append(c.res.NotLoaded, &CompiledRule{
			Name: s.Name, PriorityText: s.Priority, Source: s.Source, Location: s.Location, SkipReason: s.Reason,
		})
	}
	for _, name := range c.macroOK {
		if !c.macroUse[name] {
			c.warn(rules.Diagnostic{Message: "macro " + name + " not refered to by any rule/macro", ItemKind: rules.MacroItem, ItemName: name, Location: c.st.Macro(name).Location})
		}
	}
	for _, l := range c.st.Lists {
		if !c.listUsed[l.Name] {
			c.warn(rules.Diagnostic{Message: "list " + l.Name + " not refered to by any rule/macro/list", ItemKind: rules.ListItem, ItemName: l.Name, Location: l.Location})
		}
	}
	return nil
}

func (c *compilation) warn(d rules.Diagnostic) { c.res.Warnings = append(c.res.Warnings, d) }

// compileLists expands lists in order of first definition: an item naming
// an earlier list is replaced by its items, anything else is kept (quoted
// when it holds a space).
func (c *compilation) compileLists() {
	for _, l := range c.st.Lists {
		items := make([]string, 0, len(l.Items))
		for _, it := range l.Items {
			if prev, ok := c.lists[it]; ok {
				c.listUsed[it] = true
				items = append(items, prev...)
				continue
			}
			items = append(items, condition.QuoteItem(it))
		}
		c.lists[l.Name] = items
	}
}

func (c *compilation) markLists(n condition.Node) {
	for _, name := range condition.ListRefs(n, c.lists) {
		c.listUsed[name] = true
	}
}

func (c *compilation) markMacros(n condition.Node) {
	for _, name := range condition.MacroRefs(n) {
		c.macroUse[name] = true
	}
}

// syntaxError renders a parse error the 0.31.1 way, with the text after
// (textual) list substitution as Falco shows it.
func (c *compilation) syntaxError(text string, err error) string {
	substituted := c.listsText(text)
	// 0.31.1 parsed the substituted text, so its positions refer to it.
	if substituted != text {
		var se *condition.SyntaxError
		if _, err2 := condition.Parse(substituted); errors.As(err2, &se) {
			err = se
		}
	}
	return fmt.Sprintf("Compilation error when compiling \"%s\": %s", substituted, err.Error())
}

func (c *compilation) compileMacro(m *collector.Macro) *rules.Diagnostic {
	if m.Source != collector.SyscallSource {
		return nil // macros of other sources serve rules falco-trace drops
	}
	diag := func(msg string) *rules.Diagnostic {
		return &rules.Diagnostic{Message: msg, Location: m.Location, ItemKind: rules.MacroItem, ItemName: m.Name, Context: m.Context}
	}
	ast, err := condition.Parse(m.Condition)
	if err != nil {
		return diag(c.syntaxError(m.Condition, err))
	}
	c.markLists(ast)
	ast = condition.ResolveLists(ast, c.lists)
	// Only to check validity: a macro may reference macros compiled before
	// it. The stored AST stays unexpanded, rules use the final definitions.
	if _, err := condition.ResolveMacros(ast, c.macros); err != nil {
		return diag(fmt.Sprintf("Compilation error when compiling \"%s\": %s", c.listsText(m.Condition), err.Error()))
	}
	c.markMacros(ast)
	if _, seen := c.macros[m.Name]; !seen {
		c.macroOK = append(c.macroOK, m.Name)
	}
	c.macros[m.Name] = ast
	return nil
}

var unrecognizedField = regexp.MustCompile(`unrecognized field (\S+)`)

func (c *compilation) compileRule(r *collector.Rule) *rules.Diagnostic {
	diag := func(msg string) *rules.Diagnostic {
		return &rules.Diagnostic{Message: msg, Location: r.Location, ItemKind: rules.RuleItem, ItemName: r.Name, Context: r.Context}
	}
	cr := &CompiledRule{
		Name: r.Name, Desc: r.Desc, Priority: r.Priority, PriorityText: r.PriorityText,
		Tags: r.Tags, Enabled: r.Enabled, Source: r.Source, Condition: r.Condition,
		ExceptionFields: exceptionFields(r.Exceptions), Location: r.Location,
	}
	full, err := exceptionCondition(r.Condition, r.Exceptions)
	if err != nil {
		return diag(err.Error())
	}
	cr.FullCondition = full
	ast, err := condition.Parse(full)
	if err != nil {
		return diag(c.syntaxError(full, err))
	}
	c.markLists(ast)
	ast = condition.ResolveLists(ast, c.lists)
	c.markMacros(ast)
	ast, err = condition.ResolveMacros(ast, c.macros)
	if err != nil {
		return diag(err.Error())
	}
	if b, ok := condition.Fold(ast).(*condition.Bool); ok && !b.Value {
		cr.NeverMatches = true
	}
	cr.Canonical = condition.Canonical(ast)

	// A rules file written for a newer engine may use fields and operators
	// the installed libsinsp lacks: such rules are skipped and reported
	// instead of failing the whole load.
	newer := r.Engine.Newer()
	skip := func(reason, warning string) *rules.Diagnostic {
		cr.SkipReason = reason
		c.warn(rules.Diagnostic{Message: warning, Location: r.Location, ItemKind: rules.RuleItem, ItemName: r.Name})
		c.res.Rules = append(c.res.Rules, cr)
		return nil
	}

	filter, err := c.factory.CompileFilter(cr.Canonical)
	if err != nil {
		msg := err.Error()
		if m := unrecognizedField.FindStringSubmatch(msg); m != nil {
			field := m[1]
			switch {
			case r.SkipIfUnknownFilter:
				return skip("unknown field "+field+" (skip-if-unknown-filter)", "Rule "+r.Name+": warning (unknown-field):")
			case newer:
				return skip("unknown field "+field+" (rules file requires engine "+r.Engine.Raw+"; the installed libsinsp lacks this field)",
					"Rule "+r.Name+": warning (unknown-field): skipped, field "+field+" is not available in the installed libsinsp")
			}
			return diag("Rule " + r.Name + ": error filter_check called with nonexistent field " + field)
		}
		if newer {
			return skip("condition not supported by the installed libsinsp: "+msg,
				"Rule "+r.Name+": warning (unsupported-condition): skipped, libsinsp rejects the condition: "+msg)
		}
		return diag("Rule " + r.Name + ": error " + msg)
	}
	cr.Filter = filter
	cr.EventTypes = filter.EventTypes()
	// 0.31.1 computed the event types of the unfolded condition, so a rule
	// that only folds to false did not get this warning.
	if r.WarnEvttypes && !cr.NeverMatches && (len(cr.EventTypes) == 0 || len(cr.EventTypes) > maxEventTypes) {
		c.warn(rules.Diagnostic{
			Message:  "Rule " + r.Name + ": warning (no-evttype):\n         matches too many evt.type values.\n         This has a significant performance penalty.",
			Location: r.Location, ItemKind: rules.RuleItem, ItemName: r.Name,
		})
	}

	cr.Output = ExpandContainerInfo(r.Output, c.opts.OutputExtra, c.opts.ReplaceContainerInfo)
	if msg := c.checkOutput(cr.Output); msg != "" {
		if newer {
			closeFilter(filter)
			cr.Filter = nil
			cr.EventTypes = nil
			return skip("output not supported by the installed libsinsp: "+msg,
				"Rule "+r.Name+": warning (unsupported-output): skipped, "+msg)
		}
		closeFilter(filter)
		cr.Filter = nil
		return diag("Invalid output format '" + cr.Output + "': '" + msg + "'")
	}
	c.res.Rules = append(c.res.Rules, cr)
	return nil
}

// ErrPrefixField is the extra output check falco-trace makes: libsinsp's
// formatter takes the longest field name that prefixes a token, so a token
// naming a field it lacks ("%fd.nameraw") silently prints another field
// followed by literal text.
var ErrPrefixField = errors.New("is not a field")

// checkOutput validates an output with libsinsp's formatter and requires
// every %token to be an exact field. It returns the message for Falco's
// "Invalid output format" error, or "".
func (c *compilation) checkOutput(output string) string {
	if err := c.factory.ValidateOutput(output); err != nil {
		return err.Error()
	}
	for _, tok := range outputTokens(output) {
		if !c.factory.FieldExists(tok) {
			return fmt.Sprintf("invalid formatting token %s: %s %v", tok, tok, ErrPrefixField)
		}
	}
	return ""
}

// listsText is the condition text after Falco 0.31.1's textual list
// substitution, which is what 0.31.1 shows in compilation errors.
func (c *compilation) listsText(text string) string {
	named := make([]condition.NamedList, 0, len(c.st.Lists))
	for _, l := range c.st.Lists {
		named = append(named, condition.NamedList{Name: l.Name, Items: c.lists[l.Name]})
	}
	return condition.ExpandListsText(text, named)
}
