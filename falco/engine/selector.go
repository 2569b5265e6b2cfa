package engine

import (
	"errors"
	"strings"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// ErrEnableWithDisable is returned when -t is combined with -D or -T. The
// text is Falco's.
var ErrEnableWithDisable = errors.New("You can not specify both disabled (-D/-T) and enabled (-t) rules")

// Selector chooses the enabled rules, replacing Falco's family of
// enable_rule* calls with one value. The zero value keeps every rule whose
// file marks it enabled.
type Selector struct {
	// DisableNameSubstrings disables every rule whose name contains one of
	// the substrings (-D, repeatable). An empty substring matches all rules.
	DisableNameSubstrings []string
	// DisableTags disables every rule having at least one of the tags (-T).
	DisableTags []string
	// EnableTags disables every rule, then enables those having at least
	// one of the tags (-t). As in Falco, this also enables rules that their
	// file marks `enabled: false`.
	EnableTags []string
	// MinPriority, when set, leaves out rules less severe than it (the
	// falco.yaml `priority` key). The loader applies it too; it is repeated
	// here so the threshold can change without reloading.
	MinPriority *rules.Priority
}

// Validate rejects the combinations Falco rejects.
func (s *Selector) Validate() error {
	if len(s.EnableTags) > 0 && (len(s.DisableNameSubstrings) > 0 || len(s.DisableTags) > 0) {
		return ErrEnableWithDisable
	}
	return nil
}

// Selects reports whether the rule is enabled under this selector. It
// follows Falco 0.31.1's order of operations: the file's enabled flag, then
// -D and -T (both only disable), or -t (disable all, enable by tag); the
// minimum priority is a hard filter because Falco never loads such rules.
func (s *Selector) Selects(r *Rule) bool {
	if s.MinPriority != nil && !r.Priority.AtLeast(*s.MinPriority) {
		return false
	}
	if len(s.EnableTags) > 0 {
		return hasAnyTag(r.Tags, s.EnableTags)
	}
	if !r.Enabled {
		return false
	}
	for _, sub := range s.DisableNameSubstrings {
		if strings.Contains(r.Name, sub) {
			return false
		}
	}
	return !hasAnyTag(r.Tags, s.DisableTags)
}

func hasAnyTag(ruleTags, wanted []string) bool {
	for _, t := range ruleTags {
		for _, w := range wanted {
			if t == w {
				return true
			}
		}
	}
	return false
}
