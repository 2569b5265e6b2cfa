// Package rules holds the domain model of Falco rules files: priorities,
// lists, macros, rules and exceptions. It has no dependency on libsinsp.
package rules

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Priority is a Falco rule priority. The numeric values are the syslog
// severities, so a lower number is more severe.
type Priority int

const (
	Emergency Priority = iota
	Alert
	Critical
	Error
	Warning
	Notice
	Informational
	Debug
)

var priorityNames = [...]string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

// String returns the canonical name Falco prints in alerts ("Warning").
func (p Priority) String() string {
	if p < Emergency || p > Debug {
		return fmt.Sprintf("Priority(%d)", int(p))
	}
	return priorityNames[p]
}

// ShortUpper returns the name newer Falco prints in its summary ("INFO").
func (p Priority) ShortUpper() string {
	if p == Informational {
		return "INFO"
	}
	return strings.ToUpper(p.String())
}

// AtLeast reports whether p is at least as severe as min.
func (p Priority) AtLeast(min Priority) bool { return p <= min }

// ParsePriority accepts a priority name in any letter case, plus "info", as
// Falco 0.32 and later do.
func ParsePriority(s string) (Priority, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	if l == "info" {
		return Informational, nil
	}
	for i, name := range priorityNames {
		if strings.ToLower(name) == l {
			return Priority(i), nil
		}
	}
	return 0, fmt.Errorf("invalid priority %q: must be one of emergency, alert, critical, error, warning, notice, informational (info), debug", s)
}

// ParsePriority031 accepts exactly what Falco 0.31.1's rules loader accepts:
// each name Capitalised, lowercase or UPPERCASE, plus INFO and info.
func ParsePriority031(s string) (Priority, bool) {
	for i, name := range priorityNames {
		if s == name || s == strings.ToLower(name) || s == strings.ToUpper(name) {
			return Priority(i), true
		}
	}
	if s == "INFO" || s == "info" {
		return Informational, true
	}
	return 0, false
}

func (p Priority) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

func (p *Priority) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParsePriority(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}
