package condition

// ResolveMacros returns a deep copy of n in which every macro reference is
// replaced, recursively, by a deep copy of the macro's condition.
//
// It follows 0.31.1's compiler.lua expand_macros pass by pass, so that when
// several macros are undefined the same one is reported, with the same
// message shape (*UndefinedMacroError, quoted only for the whole filter or a
// left operand). A macro that references itself, directly or through
// others, is a *MacroCycleError (0.31.1 would never finish); the cycle is
// checked before expanding, so it wins over an undefined macro.
//
// macros holds each macro's parsed, list-resolved and unexpanded condition.
// The 0.31.1 loader checks a macro against the macros defined before it and
// a rule against all of them: the caller chooses the map.
func ResolveMacros(n Node, macros map[string]Node) (Node, error) {
	if n == nil {
		return nil, nil
	}
	if err := checkMacroCycles(n, macros); err != nil {
		return nil, err
	}
	root := n
	for {
		changed := false
		if m, ok := root.(*MacroRef); ok {
			def, ok := macros[m.Name]
			if !ok || def == nil {
				return nil, &UndefinedMacroError{Name: m.Name, Quoted: true}
			}
			root, changed = def, true
		} else {
			var err error
			root, changed, err = expandPass(root, macros)
			if err != nil {
				return nil, err
			}
		}
		if !changed {
			break
		}
	}
	// The passes share leaves with the macro definitions.
	return Clone(root), nil
}

// expandPass is one traversal of expand_macros: the direct macro operands
// of a node are replaced first (left, then right), then both subtrees are
// traversed. A replacement whose root is itself a macro reference is left
// for the next pass, as in 0.31.1.
func expandPass(n Node, macros map[string]Node) (Node, bool, error) {
	lookup := func(x Node, quoted bool) (Node, bool, error) {
		m, ok := x.(*MacroRef)
		if !ok {
			return x, false, nil
		}
		def, ok := macros[m.Name]
		if !ok || def == nil {
			return nil, false, &UndefinedMacroError{Name: m.Name, Quoted: quoted}
		}
		return def, true, nil
	}
	switch t := n.(type) {
	case *And, *Or:
		var left, right Node
		if a, ok := t.(*And); ok {
			left, right = a.Left, a.Right
		} else {
			o := t.(*Or)
			left, right = o.Left, o.Right
		}
		left, c1, err := lookup(left, true)
		if err != nil {
			return nil, false, err
		}
		right, c2, err := lookup(right, false)
		if err != nil {
			return nil, false, err
		}
		left, c3, err := expandPass(left, macros)
		if err != nil {
			return nil, false, err
		}
		right, c4, err := expandPass(right, macros)
		if err != nil {
			return nil, false, err
		}
		changed := c1 || c2 || c3 || c4
		if a, ok := t.(*And); ok {
			return &And{Left: left, Right: right, Pos: a.Pos}, changed, nil
		}
		return &Or{Left: left, Right: right, Pos: t.(*Or).Pos}, changed, nil
	case *Not:
		operand, c1, err := lookup(t.Operand, false)
		if err != nil {
			return nil, false, err
		}
		operand, c2, err := expandPass(operand, macros)
		if err != nil {
			return nil, false, err
		}
		return &Not{Operand: operand, Pos: t.Pos}, c1 || c2, nil
	}
	return n, false, nil
}

// checkMacroCycles looks for a cycle among the macros reachable from n.
func checkMacroCycles(n Node, macros map[string]Node) error {
	const (
		unvisited = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case done:
			return nil
		case active:
			start := 0
			for i, s := range stack {
				if s == name {
					start = i
				}
			}
			cycle := append(append([]string{}, stack[start:]...), name)
			return &MacroCycleError{Cycle: cycle}
		}
		def, ok := macros[name]
		if !ok || def == nil {
			state[name] = done
			return nil
		}
		state[name] = active
		stack = append(stack, name)
		for _, ref := range MacroRefs(def) {
			if err := visit(ref); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
		return nil
	}
	for _, ref := range MacroRefs(n) {
		if err := visit(ref); err != nil {
			return err
		}
	}
	return nil
}
