package condition

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Placeholders for conditions that fold to a constant. Both compile on libsinsp
// e5c53d64 (engine-spec §2.3): evt.num is never negative.
const (
	FalseCondition = `evt.num < "0"`
	TrueCondition  = `evt.num >= "0"`
)

// EmitOptions selects the canonicalisation steps of CanonicalWith.
type EmitOptions struct {
	// NoFold keeps empty sets (`f in ()`) instead of folding them to false.
	NoFold bool
	// KeepIntersects emits `intersects` as written instead of `in`
	// (e5c53d64 cannot parse it, engine-spec §2.2).
	KeepIntersects bool
}

// Canonical returns the condition string for libsinsp e5c53d64's
// sinsp_filter_compiler (engine-spec §2.3), after constant folding (Fold):
//
//   - and/or chains are flattened and wrapped in brackets when their operator
//     differs from the enclosing one (e5c53d64 has no precedence);
//   - `not X` is `not (X)`; `f exists`;
//   - comparisons are `f op "v"`, `==` becomes `=`, `intersects` becomes
//     `in`, sets are `f in ("a", "b")`;
//   - every value is double-quoted with `\` -> `\\`, `"` -> `\"`,
//     `'` -> `\x27` and NUL -> `\x00`, so that e5c53d64 reads back exactly
//     the raw 0.31.1 value (Q5); numbers are Lua's %.14g text (Q3);
//   - a condition that folds to false or true is FalseCondition or
//     TrueCondition.
//
// bcontains and bstartswith are emitted as written: e5c53d64 rejects them
// and its compile error names the operator. Macro references left
// unresolved are emitted as their names. *Empty (a '#' comment) is "".
func Canonical(n Node) string { return CanonicalWith(n, EmitOptions{}) }

// CanonicalWith is Canonical with explicit options.
func CanonicalWith(n Node, opts EmitOptions) string {
	if !opts.NoFold {
		n = Fold(n)
	}
	var b strings.Builder
	emit(&b, n, "", opts)
	return b.String()
}

// Fold folds empty sets and the constants they produce: `f in|intersects|
// pmatch ()` is false, `false and e` is false, `false or e` is e, `not
// false` is true (and the symmetric cases). The result is a *Bool only when
// the whole condition is constant. A 0.31.1 empty set never matches
// (Q7), while e5c53d64 would read `f in ()` as the set {""}.
func Fold(n Node) Node {
	switch t := n.(type) {
	case *ListCompare:
		if len(t.Items) == 0 && t.ListName == "" {
			return &Bool{Value: false}
		}
	case *Not:
		operand := Fold(t.Operand)
		if b, ok := operand.(*Bool); ok {
			return &Bool{Value: !b.Value}
		}
		return &Not{Operand: operand, Pos: t.Pos}
	case *And:
		left, right := Fold(t.Left), Fold(t.Right)
		lb, lok := left.(*Bool)
		rb, rok := right.(*Bool)
		switch {
		case lok && !lb.Value, rok && !rb.Value:
			return &Bool{Value: false}
		case lok:
			return right
		case rok:
			return left
		}
		return &And{Left: left, Right: right, Pos: t.Pos}
	case *Or:
		left, right := Fold(t.Left), Fold(t.Right)
		lb, lok := left.(*Bool)
		rb, rok := right.(*Bool)
		switch {
		case lok && lb.Value, rok && rb.Value:
			return &Bool{Value: true}
		case lok:
			return right
		case rok:
			return left
		}
		return &Or{Left: left, Right: right, Pos: t.Pos}
	}
	return n
}

func emit(b *strings.Builder, n Node, parentOp string, opts EmitOptions) {
	switch t := n.(type) {
	case nil, *Empty:
	case *Bool:
		if t.Value {
			b.WriteString(TrueCondition)
		} else {
			b.WriteString(FalseCondition)
		}
	case *And, *Or:
		op := "and"
		if _, ok := t.(*Or); ok {
			op = "or"
		}
		var operands []Node
		flatten(n, op, &operands)
		wrap := parentOp != "" && parentOp != op
		if wrap {
			b.WriteByte('(')
		}
		for i, o := range operands {
			if i > 0 {
				b.WriteString(" " + op + " ")
			}
			emit(b, o, op, opts)
		}
		if wrap {
			b.WriteByte(')')
		}
	case *Not:
		b.WriteString("not (")
		emit(b, t.Operand, "", opts)
		b.WriteByte(')')
	case *Exists:
		b.WriteString(t.Field + " exists")
	case *MacroRef:
		if t.Name == "not" {
			// A macro called "not" must not read back as the operator.
			b.WriteString("(not)")
		} else {
			b.WriteString(t.Name)
		}
	case *Compare:
		op := t.Op
		if op == OpEqEq {
			op = OpEq
		}
		b.WriteString(t.Field + " " + op + " ")
		writeValue(b, t.Value)
	case *ListCompare:
		op := t.Op
		if op == OpIntersects && !opts.KeepIntersects {
			op = OpIn
		}
		b.WriteString(t.Field + " " + op + " (")
		items := t.Items
		if items == nil && t.ListName != "" {
			items = []Value{{Kind: BareString, Text: t.ListName}}
		}
		for i, v := range items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, v)
		}
		b.WriteByte(')')
	default:
		panic("condition: unknown node type")
	}
}

func flatten(n Node, op string, out *[]Node) {
	switch t := n.(type) {
	case *And:
		if op == "and" {
			flatten(t.Left, op, out)
			flatten(t.Right, op, out)
			return
		}
	case *Or:
		if op == "or" {
			flatten(t.Left, op, out)
			flatten(t.Right, op, out)
			return
		}
	}
	*out = append(*out, n)
}

// ValueText is the value 0.31.1 hands to libsinsp: a number as Lua's %.14g
// text, any other value as written (quoted strings raw, Q5).
func ValueText(v Value) string {
	if v.Kind == Number {
		return luaNumber(v.Text)
	}
	return v.Text
}

func writeValue(b *strings.Builder, v Value) {
	s := ValueText(v)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\x27`)
		case 0:
			b.WriteString(`\x00`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// luaNumber converts a 0.31.1 Number token the way Lua does (tonumber, then
// tostring with "%.14g"): 0x10 -> 16, 1e3 -> 1000, 007 -> 7.
func luaNumber(text string) string {
	var f float64
	if len(text) > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') {
		i, ok := new(big.Int).SetString(text[2:], 16)
		if !ok {
			return text
		}
		f, _ = new(big.Float).SetInt(i).Float64()
	} else {
		var err error
		f, err = strconv.ParseFloat(text, 64)
		if err != nil && !math.IsInf(f, 0) {
			return text
		}
	}
	return formatG14(f)
}

// formatG14 is C's printf("%.14g").
func formatG14(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}
