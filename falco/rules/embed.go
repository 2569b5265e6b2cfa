package rules

import _ "embed"

// DefaultRulesName is the name the embedded default rules carry in messages.
const DefaultRulesName = "falco-trace_rules.yaml"

// DefaultRules is the project's own rules file, shipped inside the binary so
// that `falco-trace launch -- CMD` works with no files at all.
//
//go:embed falco-trace_rules.yaml
var DefaultRules []byte
