// Package reader turns the bytes of a Falco rules file into positioned items
// (rules.Item). It knows YAML and Falco 0.31.1's file structure (several
// documents, each a sequence of mappings) and reproduces Falco's item
// "context" text used in error messages. It does not interpret the items:
// the collector validates them in load order, as Falco does.
package reader

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// File is a read rules file.
type File struct {
	Name  string
	Items []rules.Item
	// Err is a structural error (YAML syntax, a document that is not a
	// sequence of mappings). Falco reports it after loading the items of the
	// documents before it, so the items read before it are in Items and
	// ErrAfterItems says how many there are.
	Err           *rules.Diagnostic
	ErrAfterItems int
}

// Limits that keep hostile input (aliases that expand exponentially, very
// deep nesting) from exhausting memory; real rules files are far below them.
const (
	maxDepth = 64
	maxNodes = 1 << 20
)

var yamlLinePrefix = regexp.MustCompile(`^yaml: line (\d+): `)

// Read parses content (the file called name) into items. It never fails:
// problems are reported in File.Err so they reach the user in Falco's form.
func Read(name string, content []byte) *File {
	f := &File{Name: name}
	lines := newLineIndex(content)

	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// libyaml (through lyaml) reports "row:col: message"; Falco strips
			// the position and shows 3 lines from that row.
			msg := err.Error()
			row := 1
			if m := yamlLinePrefix.FindStringSubmatch(msg); m != nil {
				row, _ = strconv.Atoi(m[1])
				msg = msg[len(m[0]):]
			} else {
				msg = strings.TrimPrefix(msg, "yaml: ")
			}
			f.Err = &rules.Diagnostic{
				Message:  msg,
				Location: rules.Location{File: name, Line: row},
				Context:  lines.block(row, 3),
			}
			return f
		}
		docs = append(docs, &doc)
	}

	b := &builder{file: name, lines: lines}
	for _, doc := range docs {
		root := doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		root = deref(root)
		switch {
		case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null":
			continue // an empty document is acceptable
		case root.Kind == yaml.ScalarNode || root.Kind == yaml.AliasNode:
			f.setErr("Rules content is not yaml", lines, len(f.Items))
			return f
		case root.Kind == yaml.MappingNode && len(root.Content) > 0:
			f.setErr("Rules content is not yaml array of objects", lines, len(f.Items))
			return f
		case root.Kind == yaml.MappingNode:
			continue // {} has no elements: nothing to load
		}
		for _, el := range root.Content {
			f.Items = append(f.Items, b.item(el))
			if b.exhausted {
				f.Items = f.Items[:len(f.Items)-1]
				f.setErr("Rules content is too large or too deeply nested", lines, len(f.Items))
				return f
			}
		}
	}
	return f
}

func (f *File) setErr(msg string, lines *lineIndex, after int) {
	f.Err = &rules.Diagnostic{
		Message:  msg,
		Location: rules.Location{File: f.Name, Line: 1},
		Context:  lines.block(1, 1),
	}
	f.ErrAfterItems = after
}

type builder struct {
	file      string
	lines     *lineIndex
	nodes     int
	exhausted bool
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < maxDepth; i++ {
		n = n.Alias
	}
	return n
}

// item converts one element of a document's top-level sequence.
func (b *builder) item(el *yaml.Node) rules.Item {
	el = deref(el)
	it := rules.Item{
		Location: rules.Location{File: b.file, Line: el.Line, Column: el.Column},
	}
	start := b.lines.itemStart(el.Line)
	it.Location.Line = start
	it.Context = b.lines.context(start)

	switch el.Kind {
	case yaml.MappingNode:
	case yaml.SequenceNode:
		// A Lua table without the expected keys: Falco warns about an
		// unknown top-level object.
		it.Kind = rules.UnknownItem
		it.Fields = map[string]rules.Value{}
		return it
	default:
		if el.ShortTag() == "!!null" {
			it.Kind = rules.UnknownItem
			it.Fields = map[string]rules.Value{}
			return it
		}
		it.Kind = rules.InvalidItem
		it.TypeName = luaTypeName(el)
		return it
	}

	it.Fields = make(map[string]rules.Value, len(el.Content)/2)
	for i := 0; i+1 < len(el.Content); i += 2 {
		k := deref(el.Content[i])
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			key = "<" + kindName(k) + ">"
		}
		if _, dup := it.Fields[key]; !dup {
			it.Keys = append(it.Keys, key)
		}
		// Later duplicates win, as in a Lua table built by lyaml.
		it.Fields[key] = b.value(el.Content[i+1], 0)
	}
	// Falco 0.31.1 dispatches on the first key present, in this order; a
	// false or null value does not count (Lua truthiness), except that
	// lyaml's null is a table and so is "present" for the name keys.
	for _, k := range []struct {
		key  string
		kind rules.ItemKind
	}{
		{"required_engine_version", rules.EngineVersionItem},
		{"required_plugin_versions", rules.PluginVersionsItem},
		{"macro", rules.MacroItem},
		{"list", rules.ListItem},
		{"rule", rules.RuleItem},
	} {
		v, ok := it.Fields[k.key]
		if !ok {
			continue
		}
		if b, isBool := v.Bool(); isBool && !b && v.Tag == "!!bool" {
			continue
		}
		it.Kind = k.kind
		return it
	}
	it.Kind = rules.UnknownItem
	return it
}

func (b *builder) value(n *yaml.Node, depth int) rules.Value {
	n = deref(n)
	b.nodes++
	if depth > maxDepth || b.nodes > maxNodes {
		b.exhausted = true
		return rules.Value{Kind: rules.NullValue, Line: n.Line}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return rules.Value{Kind: rules.NullValue, Line: n.Line}
		}
		return rules.Value{Kind: rules.ScalarValue, Text: n.Value, Tag: n.ShortTag(), Line: n.Line}
	case yaml.SequenceNode:
		v := rules.Value{Kind: rules.SequenceValue, Line: n.Line, Items: make([]rules.Value, 0, len(n.Content))}
		for _, c := range n.Content {
			v.Items = append(v.Items, b.value(c, depth+1))
		}
		return v
	case yaml.MappingNode:
		// Keys and values are kept flat (k1, v1, k2, v2...) for the few
		// places that read a mapping (exceptions, plugin versions,
		// override).
		v := rules.Value{Kind: rules.MappingValue, Line: n.Line, Items: make([]rules.Value, 0, len(n.Content))}
		for _, c := range n.Content {
			v.Items = append(v.Items, b.value(c, depth+1))
		}
		return v
	}
	return rules.Value{Kind: rules.NullValue, Line: n.Line}
}

// MapGet returns the value of key in a MappingValue (AbsentValue if none).
func MapGet(m rules.Value, key string) rules.Value {
	if m.Kind != rules.MappingValue {
		return rules.Value{}
	}
	var out rules.Value
	for i := 0; i+1 < len(m.Items); i += 2 {
		if m.Items[i].Kind == rules.ScalarValue && m.Items[i].Text == key {
			out = m.Items[i+1]
		}
	}
	return out
}

// MapKeys returns the scalar keys of a MappingValue in file order.
func MapKeys(m rules.Value) []string {
	if m.Kind != rules.MappingValue {
		return nil
	}
	var keys []string
	for i := 0; i+1 < len(m.Items); i += 2 {
		if m.Items[i].Kind == rules.ScalarValue {
			keys = append(keys, m.Items[i].Text)
		}
	}
	return keys
}

func luaTypeName(n *yaml.Node) string {
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	}
	return "string"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}
