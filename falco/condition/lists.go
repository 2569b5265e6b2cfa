package condition

import "strings"

// ResolveLists returns a copy of n in which list references in the operands
// of set operators (in, intersects, pmatch) are replaced by the list items:
// a bare item `(a, listname, b)` and the 0.32+ form `f in listname`.
//
// lists maps a list name to its items as Falco 0.31.1 stores them: already
// expanded for references to earlier lists and passed through QuoteItem
// (see ExpandListItems). Each item is read as condition text, exactly what
// 0.31.1's textual substitution (§1.6) would feed the parser: `"a b"` is one
// quoted value, `'"10.0.0.0/8"'` keeps its quotes, `a, b` is two values and
// an empty item adds nothing. An item that does not read as values (it holds
// a bracket or an unterminated quote, which would be a syntax error in
// 0.31.1) becomes one literal string.
//
// Items that name another list are expanded too, recursively, which is what
// the textual substitution does for a list that names a list defined after
// it. A list that (indirectly) contains its own name keeps that name as a
// literal. `f in name` with no list called name is the one-value set (name).
//
// Unlike 0.31.1 nothing outside set operands is replaced (0.31.1 also
// replaced list names in other positions, even inside quoted strings, which
// no rules file relies on: see TestListResolutionMatchesTextSubstitution).
func ResolveLists(n Node, lists map[string][]string) Node {
	r := listResolver{lists: lists, memo: map[string][]Value{}}
	return r.resolve(n)
}

// ListRefs returns the distinct names of the lists ResolveLists would
// substitute in n, including lists named by the items of those lists, in
// order of first appearance.
func ListRefs(n Node, lists map[string][]string) []string {
	var names []string
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		names = append(names, name)
		for _, item := range lists[name] {
			for _, v := range parseListItem(item) {
				if v.Kind == BareString {
					if _, ok := lists[v.Text]; ok {
						visit(v.Text)
					}
				}
			}
		}
	}
	walk(n, func(x Node) {
		lc, ok := x.(*ListCompare)
		if !ok {
			return
		}
		if lc.Items == nil && lc.ListName != "" {
			if _, ok := lists[lc.ListName]; ok {
				visit(lc.ListName)
			}
			return
		}
		for _, v := range lc.Items {
			if v.Kind == BareString {
				if _, ok := lists[v.Text]; ok {
					visit(v.Text)
				}
			}
		}
	})
	return names
}

type listResolver struct {
	lists map[string][]string
	memo  map[string][]Value // full expansion of a list from the top level
}

func (r *listResolver) resolve(n Node) Node {
	switch t := n.(type) {
	case *And:
		return &And{Left: r.resolve(t.Left), Right: r.resolve(t.Right), Pos: t.Pos}
	case *Or:
		return &Or{Left: r.resolve(t.Left), Right: r.resolve(t.Right), Pos: t.Pos}
	case *Not:
		return &Not{Operand: r.resolve(t.Operand), Pos: t.Pos}
	case *ListCompare:
		c := *t
		if t.Items == nil && t.ListName != "" {
			if _, ok := r.lists[t.ListName]; ok {
				c.Items = append([]Value{}, r.expand(t.ListName, nil)...)
			} else {
				c.Items = []Value{{Kind: BareString, Text: t.ListName, Pos: t.Pos}}
			}
			c.ListName = ""
			return &c
		}
		c.Items = r.expandValues(t.Items, nil)
		return &c
	}
	return Clone(n)
}

// expandValues replaces bare values naming a list not on path.
func (r *listResolver) expandValues(values []Value, path []string) []Value {
	out := make([]Value, 0, len(values))
	for _, v := range values {
		if v.Kind == BareString {
			if _, ok := r.lists[v.Text]; ok && !contains(path, v.Text) {
				out = append(out, r.expand(v.Text, path)...)
				continue
			}
		}
		out = append(out, v)
	}
	return out
}

func (r *listResolver) expand(name string, path []string) []Value {
	if len(path) == 0 {
		if vs, ok := r.memo[name]; ok {
			return vs
		}
	}
	var values []Value
	for _, item := range r.lists[name] {
		values = append(values, parseListItem(item)...)
	}
	vs := r.expandValues(values, append(path, name))
	if len(path) == 0 {
		r.memo[name] = vs
	}
	return vs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseListItem reads one list item as the values it contributes when
// substituted into `( ... )`.
func parseListItem(item string) []Value {
	p := &parser{src: item, ffp: -1, maxDepth: defaultMaxDepth}
	var out []Value
	cur := p.skip(0)
	for cur < len(item) {
		if item[cur] == ',' {
			cur = p.skip(cur + 1)
			continue
		}
		v, end, ok := p.value(cur)
		if !ok {
			return []Value{{Kind: QuotedString, Text: item, Quote: '"'}}
		}
		v.Pos = 0
		out = append(out, v)
		cur = end
	}
	return out
}

// QuoteItem is 0.31.1's quote_item: an item containing a space is wrapped in
// double quotes unless it already starts with a quote.
func QuoteItem(item string) string {
	if strings.Contains(item, " ") && !strings.HasPrefix(item, `"`) && !strings.HasPrefix(item, "'") {
		return `"` + item + `"`
	}
	return item
}

// ListDef is one `- list:` item of a rules file, in file order.
type ListDef struct {
	Name   string
	Items  []string
	Append bool
}

// NamedList is a list with its expanded items.
type NamedList struct {
	Name  string
	Items []string
}

// ExpandListItems applies 0.31.1's list loading (engine-spec §1.6) to list
// definitions in file order: an item naming an already defined list is
// replaced by that list's expanded items, any other item goes through
// QuoteItem; `append` adds items to an existing list (an append to a missing
// list is ignored here, the loader reports it); a redefinition replaces the
// items and keeps the first position. The result is in order of first
// definition.
func ExpandListItems(defs []ListDef) []NamedList {
	var order []string
	items := map[string][]string{}
	for _, d := range defs {
		var expanded []string
		for _, it := range d.Items {
			if prev, ok := items[it]; ok {
				expanded = append(expanded, prev...)
			} else {
				expanded = append(expanded, QuoteItem(it))
			}
		}
		prev, exists := items[d.Name]
		switch {
		case d.Append && !exists:
			continue
		case d.Append:
			expanded = append(append([]string{}, prev...), expanded...)
		case !exists:
			order = append(order, d.Name)
		}
		if expanded == nil {
			expanded = []string{}
		}
		items[d.Name] = expanded
	}
	out := make([]NamedList, len(order))
	for i, name := range order {
		out[i] = NamedList{Name: name, Items: items[name]}
	}
	return out
}

// ListMap turns expanded lists into the map ResolveLists takes.
func ListMap(lists []NamedList) map[string][]string {
	m := make(map[string][]string, len(lists))
	for _, l := range lists {
		m[l.Name] = l.Items
	}
	return m
}

// ExpandListsText is 0.31.1's textual list substitution
// (compiler.expand_lists_in): for each list in the given order, every
// occurrence of its name that is bounded by the start or end of the text or
// by whitespace or one of `(),=` is replaced by its items joined with ", ",
// anywhere in the text, quoted strings included. The search resumes after
// the inserted text. Unlike 0.31.1 later occurrences are never skipped (Q6).
//
// It gives the condition text that 0.31.1 parses and shows in
// "Compilation error when compiling ..." messages.
func ExpandListsText(text string, lists []NamedList) string {
	for _, l := range lists {
		if l.Name == "" {
			continue
		}
		sub := strings.Join(l.Items, ", ")
		var b strings.Builder
		last, i := 0, 0
		for {
			j := strings.Index(text[i:], l.Name)
			if j < 0 {
				break
			}
			start := i + j
			end := start + len(l.Name)
			if (start == 0 || isListBoundary(text[start-1])) && (end == len(text) || isListBoundary(text[end])) {
				b.WriteString(text[last:start])
				b.WriteString(sub)
				last, i = end, end
				continue
			}
			i = start + 1
		}
		if last > 0 {
			b.WriteString(text[last:])
			text = b.String()
		}
	}
	return text
}

func isListBoundary(c byte) bool {
	return isSpace(c) || c == '(' || c == ')' || c == ',' || c == '='
}
