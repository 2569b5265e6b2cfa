package compiler

import (
	"strings"

	"github.com/falco-trace/falco-trace/falco/collector"
	"github.com/falco-trace/falco-trace/falco/condition"
	"github.com/falco-trace/falco-trace/falco/rules"
)

// parenItem wraps an item in brackets unless it already starts with one.
func parenItem(item string) string {
	if strings.HasPrefix(item, "(") {
		return item
	}
	return "(" + item + ")"
}

// exceptionError is an exception that cannot be turned into condition text;
// the message has Falco 0.31.1's wording.
type exceptionError struct{ msg string }

func (e *exceptionError) Error() string { return e.msg }

// exceptionCondition builds the text Falco 0.31.1 appends to a rule's
// condition for its exceptions (build_exception_condition_string_*):
// "(" + cond + ") and not <clause1> and not <clause2>...", or cond unchanged
// when no exception produces a clause.
func exceptionCondition(cond string, exceptions []collector.Exception) (string, error) {
	var extra strings.Builder
	for _, ex := range exceptions {
		var clause string
		var err error
		if ex.MultiField {
			clause, err = multiFieldClause(ex)
		} else {
			clause, err = singleFieldClause(ex)
		}
		if err != nil {
			return "", err
		}
		if clause != "" {
			extra.WriteString(" and not ")
			extra.WriteString(clause)
		}
	}
	if extra.Len() == 0 {
		return cond, nil
	}
	return "(" + cond + ") " + extra.String(), nil
}

func multiFieldClause(ex collector.Exception) (string, error) {
	var b strings.Builder
	b.WriteString("(")
	for _, tuple := range ex.Values {
		if tuple.Kind != rules.SequenceValue || len(tuple.Items) != len(ex.Fields) {
			return "", &exceptionError{"Exception item " + ex.Name + ": fields and values lists must have equal length"}
		}
		if b.Len() > 1 {
			b.WriteString(" or ")
		}
		b.WriteString("(")
		for k, field := range ex.Fields {
			if k > 0 {
				b.WriteString(" and ")
			}
			val := tuple.Items[k]
			var s string
			switch {
			case val.Kind == rules.SequenceValue:
				parts := make([]string, 0, len(val.Items))
				for _, it := range val.Items {
					parts = append(parts, condition.QuoteItem(it.Text))
				}
				s = "(" + strings.Join(parts, ", ") + ")"
			case collector.ListComps[ex.Comps[k]]:
				// A scalar used with a list operator is a list reference
				// (or an inline list) unless already bracketed.
				s = parenItem(val.Text)
			default:
				s = condition.QuoteItem(val.Text)
			}
			b.WriteString(field + " " + ex.Comps[k] + " " + s)
		}
		b.WriteString(")")
	}
	b.WriteString(")")
	if b.String() == "()" {
		return "", nil
	}
	return b.String(), nil
}

func singleFieldClause(ex collector.Exception) (string, error) {
	if len(ex.Values) == 0 {
		return "", nil
	}
	parts := make([]string, 0, len(ex.Values))
	for _, v := range ex.Values {
		if v.Kind != rules.ScalarValue {
			return "", &exceptionError{"Expected values array for item " + ex.Name + " to contain a list of strings"}
		}
		parts = append(parts, condition.QuoteItem(v.Text))
	}
	return "(" + ex.Fields[0] + " " + ex.Comps[0] + " (" + strings.Join(parts, ", ") + "))", nil
}

// exceptionFields returns the distinct fields used by the exceptions.
func exceptionFields(exceptions []collector.Exception) []string {
	var out []string
	seen := map[string]bool{}
	for _, ex := range exceptions {
		for _, f := range ex.Fields {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}
