// Package condition parses Falco rule conditions into an AST, resolves list
// and macro references, and emits the canonical condition string that the
// libsinsp e5c53d64 string compiler (sinsp_filter_compiler) accepts.
//
// Grammar: Falco 0.31.1's parser.lua (engine-spec §2.1), precedence
// not > and > or, with error positions and "expecting" lists in 0.31.1's
// shape. Newer syntax is accepted where 0.31.1 only failed: `==`,
// `bcontains`, `bstartswith`, `f in listname` without brackets, and bare
// words read whole up to whitespace or `(),=` as 0.32+ does, so `11-dhclient`
// and `10.0.0.1` are single values (Q2 and Q4 are not reproduced). A bare
// word is a Number only if all of it is one. Quoted strings keep their raw
// content, backslashes included, exactly like 0.31.1 (Q5); 0.32's escape
// processing is not implemented because no rules file needs it
// (ParseOptions.SinspEscapes reads back Canonical's own escapes).
//
// Typical use, as the 0.31.1 loader does it: Parse a macro or rule
// condition, ResolveLists, ResolveMacros, then Canonical. Fold tells whether
// a condition is constant (a rule that can never fire).
//
// AST nodes are treated as immutable by this package: every function returns
// new nodes and never modifies its arguments.
package condition

import (
	"strings"
)

// Node is a condition AST node: *And, *Or, *Not, *Compare, *ListCompare,
// *Exists, *MacroRef, *Bool (a folded constant) or *Empty (a '#' comment).
type Node interface {
	// Position is the 1-based byte offset of the node's first token in the
	// parsed text (0 for nodes that do not come from text, e.g. *Bool).
	Position() int
	// String renders the node for debugging (an S-expression like form).
	String() string
	isNode()
}

// And is `Left and Right`. Chains are left-associative as parsed.
type And struct {
	Left, Right Node
	Pos         int
}

// Or is `Left or Right`.
type Or struct {
	Left, Right Node
	Pos         int
}

// Not is `not Operand`.
type Not struct {
	Operand Node
	Pos     int
}

// Exists is `Field exists`.
type Exists struct {
	Field string
	Pos   int
}

// MacroRef is a reference to a macro: an identifier without '.'.
type MacroRef struct {
	Name string
	Pos  int
}

// Comparison operators as written in conditions.
const (
	OpEq          = "="
	OpEqEq        = "=="
	OpNe          = "!="
	OpLe          = "<="
	OpGe          = ">="
	OpLt          = "<"
	OpGt          = ">"
	OpContains    = "contains"
	OpIContains   = "icontains"
	OpGlob        = "glob"
	OpStartsWith  = "startswith"
	OpEndsWith    = "endswith"
	OpBContains   = "bcontains"
	OpBStartsWith = "bstartswith"
	OpIn          = "in"
	OpIntersects  = "intersects"
	OpPmatch      = "pmatch"
	OpExists      = "exists"
)

// Compare is `Field Op Value` for a binary (non-set) operator.
type Compare struct {
	Field string // field name as written, with its [arg] if any
	Op    string
	Value Value
	Pos   int
}

// ListCompare is `Field Op (Items...)` for a set operator (in, intersects,
// pmatch). ListName is set, and Items is nil, for the bare 0.32+ form
// `Field in listname` until ResolveLists replaces it.
type ListCompare struct {
	Field    string
	Op       string
	Items    []Value
	ListName string
	Pos      int
}

// Bool is a constant produced by constant folding (Fold); the parser never
// produces it.
type Bool struct {
	Value bool
}

// Empty is the empty filter of a condition that starts with '#'.
type Empty struct {
	Pos int
}

// ValueKind says how a value was written.
type ValueKind int

const (
	// BareString is an unquoted word.
	BareString ValueKind = iota
	// QuotedString is '...' or "..."; Text is the raw content between the
	// quotes (0.31.1 keeps backslashes, Q5).
	QuotedString
	// Number is an unquoted word that is entirely a 0.31.1 Number (hex,
	// float or integer). Canonical renders it with Lua's %.14g.
	Number
)

// Value is a comparison operand.
type Value struct {
	Kind  ValueKind
	Text  string // bare word, number text as written, or raw quoted content
	Quote byte   // '"' or '\'' for QuotedString, 0 otherwise
	Pos   int
}

// String renders the value as it could be written in a condition.
func (v Value) String() string {
	if v.Kind == QuotedString {
		q := string(v.Quote)
		return q + v.Text + q
	}
	return v.Text
}

func (*And) isNode()         {}
func (*Or) isNode()          {}
func (*Not) isNode()         {}
func (*Exists) isNode()      {}
func (*MacroRef) isNode()    {}
func (*Compare) isNode()     {}
func (*ListCompare) isNode() {}
func (*Bool) isNode()        {}
func (*Empty) isNode()       {}

func (n *And) Position() int         { return n.Pos }
func (n *Or) Position() int          { return n.Pos }
func (n *Not) Position() int         { return n.Pos }
func (n *Exists) Position() int      { return n.Pos }
func (n *MacroRef) Position() int    { return n.Pos }
func (n *Compare) Position() int     { return n.Pos }
func (n *ListCompare) Position() int { return n.Pos }
func (n *Bool) Position() int        { return 0 }
func (n *Empty) Position() int       { return n.Pos }

func (n *And) String() string { return "(and " + n.Left.String() + " " + n.Right.String() + ")" }
func (n *Or) String() string  { return "(or " + n.Left.String() + " " + n.Right.String() + ")" }
func (n *Not) String() string { return "(not " + n.Operand.String() + ")" }
func (n *Exists) String() string {
	return "(exists " + n.Field + ")"
}
func (n *MacroRef) String() string { return "(macro " + n.Name + ")" }
func (n *Compare) String() string {
	return "(" + n.Op + " " + n.Field + " " + n.Value.String() + ")"
}
func (n *ListCompare) String() string {
	var b strings.Builder
	b.WriteString("(" + n.Op + " " + n.Field + " ")
	if n.ListName != "" && n.Items == nil {
		b.WriteString(n.ListName + ")")
		return b.String()
	}
	b.WriteString("[")
	for i, v := range n.Items {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(v.String())
	}
	b.WriteString("])")
	return b.String()
}
func (n *Bool) String() string {
	if n.Value {
		return "true"
	}
	return "false"
}
func (n *Empty) String() string { return "(empty)" }
