package condition

// Clone returns a deep copy of n (nil for nil).
func Clone(n Node) Node {
	switch t := n.(type) {
	case nil:
		return nil
	case *And:
		return &And{Left: Clone(t.Left), Right: Clone(t.Right), Pos: t.Pos}
	case *Or:
		return &Or{Left: Clone(t.Left), Right: Clone(t.Right), Pos: t.Pos}
	case *Not:
		return &Not{Operand: Clone(t.Operand), Pos: t.Pos}
	case *Exists:
		c := *t
		return &c
	case *MacroRef:
		c := *t
		return &c
	case *Compare:
		c := *t
		return &c
	case *ListCompare:
		c := *t
		if t.Items != nil {
			c.Items = append([]Value{}, t.Items...)
		}
		return &c
	case *Bool:
		c := *t
		return &c
	case *Empty:
		c := *t
		return &c
	}
	panic("condition: unknown node type")
}

// walk calls visit on every node of n in pre-order, left to right.
func walk(n Node, visit func(Node)) {
	if n == nil {
		return
	}
	visit(n)
	switch t := n.(type) {
	case *And:
		walk(t.Left, visit)
		walk(t.Right, visit)
	case *Or:
		walk(t.Left, visit)
		walk(t.Right, visit)
	case *Not:
		walk(t.Operand, visit)
	}
}

// MacroRefs returns the distinct names of the macros n references directly
// (not through other macros), in order of first appearance.
func MacroRefs(n Node) []string {
	var names []string
	seen := map[string]bool{}
	walk(n, func(x Node) {
		if m, ok := x.(*MacroRef); ok && !seen[m.Name] {
			seen[m.Name] = true
			names = append(names, m.Name)
		}
	})
	return names
}

// FieldNames returns the distinct field names n uses, as written (with
// their [arg]), in order of first appearance. Fields of referenced macros
// are included only once the macros are resolved.
func FieldNames(n Node) []string {
	var names []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			names = append(names, f)
		}
	}
	walk(n, func(x Node) {
		switch t := x.(type) {
		case *Compare:
			add(t.Field)
		case *ListCompare:
			add(t.Field)
		case *Exists:
			add(t.Field)
		}
	})
	return names
}
