// Package collector gathers the items of one or more rules files into the
// loader state with Falco 0.31.1's semantics: definition order, redefinition
// in place, `append` for lists, macros and rules (including exceptions),
// enabled-only overrides, the minimum-priority threshold, and the 0.37
// `override:` key. It validates each item when it reaches it, so the first
// error is the one Falco reports. Conditions are not parsed here (that is
// the compiler's job).
package collector

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/falco-trace/falco-trace/falco/reader"
	"github.com/falco-trace/falco-trace/falco/rules"
)

// Falco031EngineVersion is FALCO_ENGINE_VERSION of Falco 0.31.1
// (userspace/engine/falco_engine_version.h).
const Falco031EngineVersion = 11

// EngineSemver is the engine version falco-trace claims to rules files.
//
// Why 0.57.0: the engine version gates rules-file *syntax* (semver
// required_engine_version, `override:`, exceptions, append...), and
// falco-trace reads the syntax of the falcosecurity/rules 5.1.0 files, which
// declare `required_engine_version: 0.57.0`. Claiming less would reject those
// files outright although every rule in them that libsinsp e5c53d64 can
// compile works. What the installed libsinsp lacks (newer fields and
// operators) is not hidden by this claim: rules from files that target a
// newer engine than 0.31.1's are compiled one by one and those that need a
// missing field are skipped and reported by name (see EngineVersion.Newer).
// Numeric versions (the pre-0.37 form) are compared as 0.N.0, as Falco 0.37+
// does, so every 0.31.1 file (versions 2..11) loads.
var EngineSemver = rules.Semver{Major: 0, Minor: 57, Patch: 0}

// Options configures a Collector.
type Options struct {
	// MinPriority: rules less severe than this are not loaded (Falco's
	// `priority` setting). The zero value is Emergency, so use
	// rules.Debug to load everything.
	MinPriority rules.Priority
	// FieldExists validates the field names of exceptions ("field name F is
	// not a supported filter field"). nil accepts every name.
	FieldExists func(name string) bool
}

// Collector accumulates rules files. After Add returns an error the
// collector must not be used further (Falco exits at the first error).
type Collector struct {
	opts     Options
	state    State
	warnings []rules.Diagnostic
	files    []string
}

// New returns an empty collector.
func New(opts Options) *Collector {
	return &Collector{
		opts: opts,
		state: State{
			lists:   map[string]*List{},
			macros:  map[string]*Macro{},
			rules:   map[string]*Rule{},
			skipped: map[string]*SkippedRule{},
		},
	}
}

// State returns the collected state (shared, not a copy).
func (c *Collector) State() *State { return &c.state }

// Warnings returns the warnings of every file added so far.
func (c *Collector) Warnings() []rules.Diagnostic { return c.warnings }

// Files returns the names of the files added, in order.
func (c *Collector) Files() []string { return c.files }

// Add collects the items of one file. On error it returns *rules.LoadError.
func (c *Collector) Add(f *reader.File) error {
	c.files = append(c.files, f.Name)
	fc := &fileCollector{c: c, file: f}
	// The file's engine requirement applies to all its rules, wherever the
	// item stands in the file.
	for i := range f.Items {
		if f.Items[i].Kind == rules.EngineVersionItem {
			if v, ok := parseEngineVersion(f.Items[i].Field("required_engine_version")); ok {
				if !fc.engine.Set || fc.engine.lessThan(v) {
					fc.engine = v
				}
			}
		}
	}
	n := len(f.Items)
	if f.Err != nil {
		n = f.ErrAfterItems
	}
	for i := 0; i < n; i++ {
		if d := fc.item(&f.Items[i]); d != nil {
			return &rules.LoadError{Errors: []rules.Diagnostic{*d}, Warnings: c.warnings}
		}
	}
	if f.Err != nil {
		return &rules.LoadError{Errors: []rules.Diagnostic{*f.Err}, Warnings: c.warnings}
	}
	return nil
}

type fileCollector struct {
	c      *Collector
	file   *reader.File
	engine EngineVersion
}

func (v EngineVersion) lessThan(o EngineVersion) bool { return v.semver().Less(o.semver()) }

// semver maps a numeric version N to 0.N.0 like Falco 0.37+.
func (v EngineVersion) semver() rules.Semver {
	if v.IsNumber {
		return rules.Semver{Minor: uint64(v.Number)}
	}
	return v.Semver
}

func parseEngineVersion(val rules.Value) (EngineVersion, bool) {
	if val.Kind != rules.ScalarValue {
		return EngineVersion{}, false
	}
	if val.IsNumber() {
		n, err := strconv.ParseFloat(strings.ReplaceAll(val.Text, "_", ""), 64)
		if err != nil {
			if i, err2 := strconv.ParseInt(val.Text, 0, 64); err2 == nil {
				n, err = float64(i), nil
			}
		}
		if err != nil {
			return EngineVersion{}, false
		}
		return EngineVersion{Set: true, IsNumber: true, Number: n, Raw: val.Text}, true
	}
	s, err := rules.ParseSemver(val.Text)
	if err != nil {
		return EngineVersion{}, false
	}
	return EngineVersion{Set: true, Semver: s, Raw: val.Text}, true
}

func (fc *fileCollector) diag(it *rules.Item, name, msg string) *rules.Diagnostic {
	return &rules.Diagnostic{Message: msg, Location: it.Location, ItemKind: it.Kind, ItemName: name, Context: it.Context}
}

func (fc *fileCollector) warn(it *rules.Item, name, msg string, withContext bool) {
	d := rules.Diagnostic{Message: msg, Location: it.Location, ItemKind: it.Kind, ItemName: name}
	if withContext {
		d.Context = it.Context
	}
	fc.c.warnings = append(fc.c.warnings, d)
}

// itemKeys are the keys each kind of item may carry (Falco 0.31.1 plus the
// 0.37 override key). Falco ignores any other key silently, which hides
// typos such as "priorty"; falco-trace keeps loading but warns.
var itemKeys = map[rules.ItemKind]map[string]bool{
	rules.RuleItem: setOf("rule", "condition", "output", "desc", "priority", "tags", "enabled", "exceptions",
		"append", "source", "warn_evttypes", "skip-if-unknown-filter", "override"),
	rules.MacroItem: setOf("macro", "condition", "append", "source", "override"),
	rules.ListItem:  setOf("list", "items", "append", "override"),
}

func setOf(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// UnknownKeyWarning is the Code (and the text tag) of the warnings about
// keys falco-trace does not know.
const UnknownKeyWarning = "warning (unknown-key)"

func (fc *fileCollector) warnUnknownKeys(it *rules.Item) {
	known, ok := itemKeys[it.Kind]
	if !ok {
		return
	}
	name, _ := it.Name()
	var unknown []string
	for k := range it.Fields {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		fc.c.warnings = append(fc.c.warnings, rules.Diagnostic{Code: UnknownKeyWarning, Location: it.Location, ItemKind: it.Kind, ItemName: name, Message: fmt.Sprintf("%s %s: %s: unknown key '%s' ignored", strings.ToUpper(it.Kind.String()[:1])+it.Kind.String()[1:], name, UnknownKeyWarning, k)})
	}
}

func (fc *fileCollector) item(it *rules.Item) *rules.Diagnostic {
	fc.warnUnknownKeys(it)
	switch it.Kind {
	case rules.InvalidItem:
		return fc.diag(it, "", "Unexpected element of type "+it.TypeName+". Each element should be a yaml associative array.")
	case rules.EngineVersionItem:
		return fc.engineVersion(it)
	case rules.PluginVersionsItem:
		return fc.pluginVersions(it)
	case rules.ListItem:
		return fc.list(it)
	case rules.MacroItem:
		return fc.macro(it)
	case rules.RuleItem:
		return fc.rule(it)
	}
	fc.warn(it, "", "Unknown top level object: "+luaDump(it), true)
	return nil
}

func (fc *fileCollector) engineVersion(it *rules.Item) *rules.Diagnostic {
	val := it.Field("required_engine_version")
	v, ok := parseEngineVersion(val)
	if !ok {
		// 0.31.1 wording (numbers only); a string that is not x.y.z is
		// neither form.
		return fc.diag(it, "", "Value of required_engine_version must be a number")
	}
	if EngineSemver.Less(v.semver()) {
		return fc.diag(it, "", fmt.Sprintf("Rules require engine version %s, but engine version is %s", v.Raw, EngineSemver))
	}
	return nil
}

func (fc *fileCollector) pluginVersions(it *rules.Item) *rules.Diagnostic {
	val := it.Field("required_plugin_versions")
	if val.Kind != rules.SequenceValue {
		return fc.diag(it, "", "Value of required_plugin_versions must be a sequence")
	}
	for _, e := range val.Items {
		req, msg := pluginRequirement(e)
		if msg != "" {
			return fc.diag(it, "", msg)
		}
		fc.c.state.Plugins = append(fc.c.state.Plugins, req)
	}
	return nil
}

func pluginRequirement(e rules.Value) (rules.PluginRequirement, string) {
	name := reader.MapGet(e, "name")
	if name.Kind != rules.ScalarValue {
		return rules.PluginRequirement{}, "required_plugin_versions item must have name property"
	}
	version := reader.MapGet(e, "version")
	if version.Kind != rules.ScalarValue {
		return rules.PluginRequirement{}, "required_plugin_versions item must have version property"
	}
	req := rules.PluginRequirement{Name: name.Text, Version: version.Text}
	if alts := reader.MapGet(e, "alternatives"); alts.Kind == rules.SequenceValue {
		for _, a := range alts.Items {
			alt, msg := pluginRequirement(a)
			if msg != "" {
				return rules.PluginRequirement{}, msg
			}
			req.Alternatives = append(req.Alternatives, alt)
		}
	}
	return req, ""
}

// override reads the 0.37 `override:` map of an item. ok is false when the
// item has none.
type overrideSpec struct {
	modes map[string]string // key -> "append" | "replace"
	keys  []string
}

func (fc *fileCollector) override(it *rules.Item, name string, appendable, replaceable []string) (*overrideSpec, *rules.Diagnostic) {
	val := it.Field("override")
	if !val.Present() {
		return nil, nil
	}
	if b, ok := it.Field("append").Bool(); ok && b {
		return nil, fc.diag(it, name, "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.")
	}
	if val.Kind != rules.MappingValue {
		return nil, fc.diag(it, name, "Value of override must be a map")
	}
	spec := &overrideSpec{modes: map[string]string{}}
	for _, k := range reader.MapKeys(val) {
		mode := reader.MapGet(val, k).Text
		switch {
		case mode == "append" && contains(appendable, k):
		case mode == "replace" && contains(replaceable, k):
		case mode == "append" || mode == "replace":
			return nil, fc.diag(it, name, fmt.Sprintf("Key '%s' cannot be %sed", k, strings.TrimSuffix(mode, "e")))
		default:
			return nil, fc.diag(it, name, fmt.Sprintf("Invalid override value for '%s': must be 'append' or 'replace'", k))
		}
		if !it.Field(k).Present() {
			return nil, fc.diag(it, name, fmt.Sprintf("An %s override for '%s' was specified but '%s' is not defined", mode, k, k))
		}
		spec.modes[k] = mode
		spec.keys = append(spec.keys, k)
	}
	for _, k := range it.Keys {
		switch k {
		case it.Kind.String(), "override", "append":
			continue
		}
		if _, ok := spec.modes[k]; !ok {
			return nil, fc.diag(it, name, "Unexpected key '"+k+"': no corresponding entry under 'override' is defined.")
		}
	}
	return spec, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (fc *fileCollector) list(it *rules.Item) *rules.Diagnostic {
	st := &fc.c.state
	name, ok := it.Name()
	if !ok {
		return fc.diag(it, "", "List name is empty")
	}
	ov, d := fc.override(it, name, []string{"items"}, []string{"items"})
	if d != nil {
		return d
	}
	itemsVal := it.Field("items")
	if !itemsVal.Present() {
		return fc.diag(it, name, "List must have property items")
	}
	items, ok := listItems(itemsVal)
	if !ok {
		return fc.diag(it, name, "List "+name+": items must be a list of strings")
	}
	appendMode := truthy(it.Field("append"))
	if ov != nil {
		appendMode = ov.modes["items"] == "append"
		if st.lists[name] == nil {
			return fc.diag(it, name, "List "+name+" has 'override' key but no list by that name already exists")
		}
		if !appendMode {
			st.lists[name].Items = items
			return nil
		}
	}
	if appendMode {
		prev := st.lists[name]
		if prev == nil {
			return fc.diag(it, name, "List "+name+" has 'append' key but no list by that name already exists")
		}
		prev.Items = append(prev.Items, items...)
		return nil
	}
	l := &List{Name: name, Items: items, Location: it.Location, Context: it.Context}
	if prev := st.lists[name]; prev != nil {
		*prev = *l // redefinition keeps the first definition's position
		return nil
	}
	st.lists[name] = l
	st.Lists = append(st.Lists, l)
	return nil
}

func listItems(v rules.Value) ([]string, bool) {
	if v.Kind == rules.NullValue {
		return nil, true
	}
	if v.Kind != rules.SequenceValue {
		return nil, false
	}
	out := make([]string, 0, len(v.Items))
	for _, e := range v.Items {
		switch e.Kind {
		case rules.ScalarValue:
			out = append(out, e.Text)
		case rules.NullValue:
			// lyaml turns `- ~` into a null sentinel that stringifies oddly;
			// nothing useful can be matched against it.
		default:
			return nil, false
		}
	}
	return out, true
}

// truthy is Lua truthiness of a YAML value: anything but absent, false and
// (for flags) null.
func truthy(v rules.Value) bool {
	switch v.Kind {
	case rules.AbsentValue, rules.NullValue:
		return false
	case rules.ScalarValue:
		if b, ok := v.Bool(); ok && v.Tag == "!!bool" {
			return b
		}
	}
	return true
}

func (fc *fileCollector) macro(it *rules.Item) *rules.Diagnostic {
	st := &fc.c.state
	name, ok := it.Name()
	if !ok {
		return fc.diag(it, "", "Macro name is empty")
	}
	ov, d := fc.override(it, name, []string{"condition"}, []string{"condition"})
	if d != nil {
		return d
	}
	condVal := it.Field("condition")
	if !condVal.Present() {
		return fc.diag(it, name, "Macro must have property condition")
	}
	if condVal.Kind != rules.ScalarValue {
		return fc.diag(it, name, "Macro "+name+": condition must be a string")
	}
	source := SyscallSource
	if s := it.Field("source"); s.Kind == rules.ScalarValue {
		source = s.Text
	}
	appendMode := truthy(it.Field("append"))
	if ov != nil {
		prev := st.macros[name]
		if prev == nil {
			return fc.diag(it, name, "Macro "+name+" has 'override' key but no macro by that name already exists")
		}
		if ov.modes["condition"] == "replace" {
			prev.Condition = condVal.Text
			prev.Context += "\n" + it.Context
			return nil
		}
		appendMode = true
	}
	if appendMode {
		prev := st.macros[name]
		if prev == nil {
			return fc.diag(it, name, "Macro "+name+" has 'append' key but no macro by that name already exists")
		}
		prev.Condition += " " + condVal.Text
		prev.Context += "\n" + it.Context
		return nil
	}
	m := &Macro{Name: name, Condition: condVal.Text, Source: source, Location: it.Location, Context: it.Context}
	if prev := st.macros[name]; prev != nil {
		*prev = *m
		return nil
	}
	st.macros[name] = m
	st.Macros = append(st.Macros, m)
	return nil
}

// luaDump renders an unknown item roughly like Lua's table.tostring, for the
// "Unknown top level object" warning (Lua's key order is unspecified; we
// use file order).
func luaDump(it *rules.Item) string {
	var parts []string
	for _, k := range it.Keys {
		parts = append(parts, k+"="+dumpValue(it.Fields[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func dumpValue(v rules.Value) string {
	switch v.Kind {
	case rules.ScalarValue:
		if v.Tag == "!!str" {
			return strconv.Quote(v.Text)
		}
		return v.Text
	case rules.SequenceValue, rules.MappingValue:
		var parts []string
		for _, e := range v.Items {
			parts = append(parts, dumpValue(e))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return "nil"
}
