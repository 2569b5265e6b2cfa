package collector

import (
	"fmt"
	"strings"

	"github.com/falco-trace/falco-trace/falco/reader"
	"github.com/falco-trace/falco-trace/falco/rules"
)

// exceptionComps are the comparison operators Falco 0.31.1 accepts in
// exceptions (rule_loader.lua defined_comp_operators).
var exceptionComps = map[string]bool{
	"=": true, "==": true, "!=": true, "<=": true, ">=": true, "<": true, ">": true,
	"contains": true, "icontains": true, "glob": true, "startswith": true, "endswith": true,
	"in": true, "intersects": true, "pmatch": true,
}

// ListComps are the exception operators whose value is a list.
var ListComps = map[string]bool{"in": true, "intersects": true, "pmatch": true}

var requiredRuleKeys = []string{"condition", "output", "desc", "priority"}

func (fc *fileCollector) rule(it *rules.Item) *rules.Diagnostic {
	name, ok := it.Name()
	if !ok {
		return fc.diag(it, "", "Rule name is empty")
	}
	ov, d := fc.override(it, name,
		[]string{"condition", "output", "desc", "tags", "exceptions"},
		[]string{"condition", "output", "desc", "tags", "exceptions", "priority", "enabled", "warn_evttypes", "skip-if-unknown-filter"})
	if d != nil {
		return d
	}
	if ov != nil {
		return fc.overrideRule(it, name, ov)
	}
	if truthy(it.Field("append")) {
		return fc.appendRule(it, name)
	}
	for _, k := range requiredRuleKeys {
		if !it.Field(k).Present() {
			if it.Field("enabled").Present() {
				return fc.enableRule(it, name)
			}
			return fc.diag(it, name, "Rule must have property "+k)
		}
	}
	return fc.defineRule(it, name)
}

func (fc *fileCollector) defineRule(it *rules.Item, name string) *rules.Diagnostic {
	st := &fc.c.state
	text := map[string]string{}
	for _, k := range requiredRuleKeys {
		v := it.Field(k)
		if v.Kind != rules.ScalarValue {
			return fc.diag(it, name, fmt.Sprintf("Rule %s: %s must be a string", name, k))
		}
		text[k] = v.Text
	}
	source := SyscallSource
	if s := it.Field("source"); s.Kind == rules.ScalarValue {
		source = s.Text
	}
	if source != SyscallSource {
		// falco-trace has only the syscall source: k8s_audit needs Falco's
		// JSON filter checks, aws_cloudtrail and others need plugins.
		fc.warn(it, name, "Rule "+name+": warning (unknown-source): unknown source "+source+", skipping", false)
		fc.skip(&SkippedRule{Name: name, Priority: text["priority"], Source: source, Location: it.Location,
			Reason: "unknown source " + source})
		return nil
	}
	prio, ok := rules.ParsePriority031(text["priority"])
	if !ok && fc.engine.Newer() {
		// 0.32+ parses priorities case-insensitively.
		var err error
		prio, err = rules.ParsePriority(text["priority"])
		ok = err == nil
	}
	if !ok {
		return fc.diag(it, name, "Invalid priority level: "+text["priority"])
	}
	exceptions, d := fc.exceptions(it, name)
	if d != nil {
		return d
	}
	tags, ok := optionalStrings(it.Field("tags"))
	if !ok {
		return fc.diag(it, name, "Rule "+name+": tags must be a list of strings")
	}
	r := &Rule{
		Name:                name,
		Condition:           text["condition"],
		Output:              strings.TrimSpace(text["output"]),
		Desc:                text["desc"],
		Priority:            prio,
		PriorityText:        text["priority"],
		Tags:                tags,
		Enabled:             true,
		Exceptions:          exceptions,
		Source:              source,
		WarnEvttypes:        true,
		Location:            it.Location,
		Context:             it.Context,
		Engine:              fc.engine,
		SkipIfUnknownFilter: false,
	}
	for key, dst := range map[string]*bool{"enabled": &r.Enabled, "warn_evttypes": &r.WarnEvttypes, "skip-if-unknown-filter": &r.SkipIfUnknownFilter} {
		if d := fc.optionalBool(it, name, key, dst); d != nil {
			return d
		}
	}
	if !prio.AtLeast(fc.c.opts.MinPriority) {
		// Falco does not load rules below the minimum priority; appends to
		// them are ignored silently. An earlier definition that passed the
		// threshold stays loaded (0.31.1 keeps it in rules_by_name).
		fc.skip(&SkippedRule{Name: name, Priority: text["priority"], Source: source, Location: it.Location,
			Reason: fmt.Sprintf("priority %s is below the minimum priority %s", prio, fc.c.opts.MinPriority)})
		return nil
	}
	if prev := st.rules[name]; prev != nil {
		*prev = *r // redefinition keeps the rule's load position
		return nil
	}
	delete(st.skipped, name)
	st.rules[name] = r
	st.Rules = append(st.Rules, r)
	st.removeSkipped(name)
	return nil
}

func (st *State) removeSkipped(name string) {
	out := st.Skipped[:0]
	for _, s := range st.Skipped {
		if s.Name != name {
			out = append(out, s)
		}
	}
	st.Skipped = out
}

func (fc *fileCollector) skip(s *SkippedRule) {
	st := &fc.c.state
	if st.rules[s.Name] != nil {
		// An earlier loaded definition stays; nothing to report.
		st.skipped[s.Name] = s
		return
	}
	if prev := st.skipped[s.Name]; prev != nil {
		*prev = *s
		return
	}
	st.skipped[s.Name] = s
	st.Skipped = append(st.Skipped, s)
}

func (fc *fileCollector) optionalBool(it *rules.Item, name, key string, dst *bool) *rules.Diagnostic {
	v := it.Field(key)
	if !v.Present() || v.Kind == rules.NullValue {
		return nil
	}
	b, ok := v.Bool()
	if !ok {
		return fc.diag(it, name, fmt.Sprintf("Rule %s: %s must be a boolean", name, key))
	}
	*dst = b
	return nil
}

func optionalStrings(v rules.Value) ([]string, bool) {
	switch v.Kind {
	case rules.AbsentValue, rules.NullValue:
		return []string{}, true
	}
	return v.Strings()
}

func (fc *fileCollector) enableRule(it *rules.Item, name string) *rules.Diagnostic {
	st := &fc.c.state
	prev := st.rules[name]
	if prev == nil {
		if st.skipped[name] != nil {
			return nil // skipped (priority or source): nothing to enable
		}
		return fc.diag(it, name, "Rule "+name+" has 'enabled' key only, but no rule by that name already exists")
	}
	return fc.optionalBool(it, name, "enabled", &prev.Enabled)
}

func (fc *fileCollector) appendRule(it *rules.Item, name string) *rules.Diagnostic {
	st := &fc.c.state
	prev := st.rules[name]
	if prev == nil {
		if st.skipped[name] != nil {
			return nil
		}
		return fc.diag(it, name, "Rule "+name+" has 'append' key but no rule by that name already exists")
	}
	cond := it.Field("condition")
	if !cond.Present() && !it.Field("exceptions").Present() {
		return fc.diag(it, name, "Appended rule must have exceptions or condition property")
	}
	if d := fc.appendExceptions(it, name, prev); d != nil {
		return d
	}
	if cond.Present() {
		if cond.Kind != rules.ScalarValue {
			return fc.diag(it, name, "Rule "+name+": condition must be a string")
		}
		prev.Condition += " " + cond.Text
	}
	prev.Context += "\n" + it.Context
	return nil
}

// overrideRule applies a 0.37 `override:` item.
func (fc *fileCollector) overrideRule(it *rules.Item, name string, ov *overrideSpec) *rules.Diagnostic {
	st := &fc.c.state
	prev := st.rules[name]
	if prev == nil {
		if st.skipped[name] != nil {
			return nil
		}
		return fc.diag(it, name, "Rule "+name+" has 'override' key but no rule by that name already exists")
	}
	for _, k := range ov.keys {
		mode := ov.modes[k]
		v := it.Field(k)
		switch k {
		case "condition", "output", "desc":
			if v.Kind != rules.ScalarValue {
				return fc.diag(it, name, fmt.Sprintf("Rule %s: %s must be a string", name, k))
			}
			dst := map[string]*string{"condition": &prev.Condition, "output": &prev.Output, "desc": &prev.Desc}[k]
			if mode == "append" {
				*dst += " " + v.Text
			} else {
				*dst = v.Text
			}
			if k == "output" {
				prev.Output = strings.TrimSpace(prev.Output)
			}
		case "tags":
			tags, ok := optionalStrings(v)
			if !ok {
				return fc.diag(it, name, "Rule "+name+": tags must be a list of strings")
			}
			if mode == "append" {
				for _, t := range tags {
					if !contains(prev.Tags, t) {
						prev.Tags = append(prev.Tags, t)
					}
				}
			} else {
				prev.Tags = tags
			}
		case "exceptions":
			if mode == "append" {
				if d := fc.appendExceptions(it, name, prev); d != nil {
					return d
				}
			} else {
				ex, d := fc.exceptions(it, name)
				if d != nil {
					return d
				}
				prev.Exceptions = ex
			}
		case "priority":
			p, err := rules.ParsePriority(v.Text)
			if err != nil {
				return fc.diag(it, name, "Invalid priority level: "+v.Text)
			}
			prev.Priority, prev.PriorityText = p, v.Text
		case "enabled":
			if d := fc.optionalBool(it, name, k, &prev.Enabled); d != nil {
				return d
			}
		case "warn_evttypes":
			if d := fc.optionalBool(it, name, k, &prev.WarnEvttypes); d != nil {
				return d
			}
		case "skip-if-unknown-filter":
			if d := fc.optionalBool(it, name, k, &prev.SkipIfUnknownFilter); d != nil {
				return d
			}
		}
	}
	prev.Context += "\n" + it.Context
	return nil
}

// exceptions validates the exceptions of a rule definition (not an append).
func (fc *fileCollector) exceptions(it *rules.Item, name string) ([]Exception, *rules.Diagnostic) {
	v := it.Field("exceptions")
	if !v.Present() || v.Kind == rules.NullValue {
		return nil, nil
	}
	if v.Kind != rules.SequenceValue {
		return nil, fc.diag(it, name, "Rule "+name+": exceptions must be a list")
	}
	var out []Exception
	for _, e := range v.Items {
		ex, msg := fc.validateException(e, "Rule exception item ")
		if msg != "" {
			return nil, fc.diag(it, name, msg)
		}
		out = append(out, ex)
	}
	return out, nil
}

func (fc *fileCollector) appendExceptions(it *rules.Item, name string, prev *Rule) *rules.Diagnostic {
	v := it.Field("exceptions")
	if !v.Present() || v.Kind == rules.NullValue {
		return nil
	}
	if v.Kind != rules.SequenceValue {
		return fc.diag(it, name, "Rule "+name+": exceptions must be a list")
	}
	for _, e := range v.Items {
		exName := reader.MapGet(e, "name")
		if exName.Kind != rules.ScalarValue {
			return fc.diag(it, name, "Rule exception item must have name property")
		}
		var found *Exception
		for i := range prev.Exceptions {
			if prev.Exceptions[i].Name == exName.Text {
				found = &prev.Exceptions[i]
			}
		}
		if found != nil {
			if reader.MapGet(e, "fields").Present() {
				return fc.diag(it, name, "Can not append exception fields to existing rule, only values")
			}
			if reader.MapGet(e, "comps").Present() {
				return fc.diag(it, name, "Can not append exception comps to existing rule, only values")
			}
			if vals := reader.MapGet(e, "values"); vals.Kind == rules.SequenceValue {
				found.Values = append(found.Values, vals.Items...)
			}
			continue
		}
		if !reader.MapGet(e, "fields").Present() {
			return fc.diag(it, name, "Rule exception new item "+exName.Text+": must have fields property with a list of fields")
		}
		if !reader.MapGet(e, "values").Present() {
			return fc.diag(it, name, "Rule exception new item "+exName.Text+": must have values property with a list of values")
		}
		ex, msg := fc.validateException(e, "Rule exception new item ")
		if msg != "" {
			return fc.diag(it, name, msg)
		}
		prev.Exceptions = append(prev.Exceptions, ex)
	}
	return nil
}

// validateException checks one exception item (rule_loader.lua
// validate_exception_item_*) and fills in the default comps.
func (fc *fileCollector) validateException(e rules.Value, prefix string) (Exception, string) {
	if e.Kind != rules.MappingValue {
		return Exception{}, "Rule exception item must have name property"
	}
	nameV := reader.MapGet(e, "name")
	if nameV.Kind != rules.ScalarValue {
		return Exception{}, "Rule exception item must have name property"
	}
	name := nameV.Text
	fields := reader.MapGet(e, "fields")
	if !fields.Present() || fields.Kind == rules.NullValue {
		return Exception{}, prefix + name + ": must have fields property with a list of fields"
	}
	ex := Exception{Name: name}
	comps := reader.MapGet(e, "comps")
	if values := reader.MapGet(e, "values"); values.Kind == rules.SequenceValue {
		ex.Values = values.Items
	}
	fieldExists := fc.c.opts.FieldExists
	if fieldExists == nil {
		fieldExists = func(string) bool { return true }
	}
	if fields.Kind == rules.SequenceValue {
		ex.MultiField = true
		fs, ok := fields.Strings()
		if !ok {
			return Exception{}, prefix + name + ": must have fields property with a list of fields"
		}
		ex.Fields = fs
		if !comps.Present() || comps.Kind == rules.NullValue {
			for range fs {
				ex.Comps = append(ex.Comps, "=")
			}
		} else {
			cs, ok := comps.Strings()
			if !ok || len(cs) != len(fs) {
				return Exception{}, prefix + name + ": fields and comps lists must have equal length"
			}
			ex.Comps = cs
		}
	} else {
		if fields.Kind != rules.ScalarValue {
			return Exception{}, prefix + name + ": must have fields property with a list of fields"
		}
		ex.Fields = []string{fields.Text}
		if !comps.Present() || comps.Kind == rules.NullValue {
			ex.Comps = []string{"in"}
		} else {
			if comps.Kind != rules.ScalarValue {
				return Exception{}, prefix + name + ": fields and comps must both be strings"
			}
			ex.Comps = []string{comps.Text}
		}
	}
	for _, f := range ex.Fields {
		if !fieldExists(f) {
			return Exception{}, prefix + name + ": field name " + f + " is not a supported filter field"
		}
	}
	for _, c := range ex.Comps {
		if !exceptionComps[c] {
			return Exception{}, prefix + name + ": comparison operator " + c + " is not a supported comparison operator"
		}
	}
	return ex, ""
}
