package config

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Override is one parsed `-o key=value` option.
type Override struct {
	// Option is the text as given on the command line.
	Option string
	Path   []PathElem
	Value  string
}

// PathElem is one dotted component, with an optional list index
// (`rules_file[1]` is {Key: "rules_file", Index: 1}; Index -1 = none).
type PathElem struct {
	Key   string
	Index int
}

// ParseOverride parses `key=value`, where key is a dotted path whose
// components may end with `[i]` (Falco's yaml_configuration::get_node
// syntax). The value is everything after the first '='.
func ParseOverride(option string) (Override, error) {
	eq := strings.IndexByte(option, '=')
	if eq <= 0 {
		return Override{}, &OverrideError{Option: option}
	}
	key, value := option[:eq], option[eq+1:]
	var path []PathElem
	for _, part := range strings.Split(key, ".") {
		elem := PathElem{Key: part, Index: -1}
		if open := strings.IndexByte(part, '['); open >= 0 {
			if !strings.HasSuffix(part, "]") || open == 0 {
				return Override{}, &OverrideError{Option: option}
			}
			idx, err := strconv.Atoi(part[open+1 : len(part)-1])
			if err != nil || idx < 0 {
				return Override{}, &OverrideError{Option: option}
			}
			elem = PathElem{Key: part[:open], Index: idx}
		}
		if elem.Key == "" || strings.ContainsAny(elem.Key, "[] ") {
			return Override{}, &OverrideError{Option: option}
		}
		path = append(path, elem)
	}
	return Override{Option: option, Path: path, Value: value}, nil
}

// apply sets the scalar in the document, creating missing mappings and
// appending to a list when the index equals its length. It returns the new
// scalar node.
//
// Every node it creates is recorded in origin, so messages about them point
// at the option.
func (o Override) apply(root *yaml.Node, origin map[*yaml.Node]string) (*yaml.Node, error) {
	where := "-o " + o.Option
	setMappingValue := func(m *yaml.Node, key string, v *yaml.Node) {
		origin[v] = where
		if k := setMappingValue(m, key, v); k != nil {
			origin[k] = where
		}
	}
	node := root
	for i, elem := range o.Path {
		last := i == len(o.Path)-1
		if node.Kind != yaml.MappingNode {
			return nil, &OverrideError{Option: o.Option, Reason: fmt.Sprintf("%s is not a mapping", o.prefix(i))}
		}
		child := mappingValue(node, elem.Key)
		if elem.Index < 0 {
			if last {
				scalar := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: o.Value}
				setMappingValue(node, elem.Key, scalar)
				return scalar, nil
			}
			if child == nil || isNull(child) {
				child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				setMappingValue(node, elem.Key, child)
			}
			node = child
			continue
		}
		if child == nil || isNull(child) {
			child = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			setMappingValue(node, elem.Key, child)
		}
		if child.Kind == yaml.ScalarNode {
			// rules_file may be a single string: treat it as a one-item list.
			child = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{child}}
			setMappingValue(node, elem.Key, child)
		}
		if child.Kind != yaml.SequenceNode {
			return nil, &OverrideError{Option: o.Option, Reason: fmt.Sprintf("%s is not a list", o.prefix(i+1))}
		}
		if elem.Index > len(child.Content) {
			return nil, &OverrideError{Option: o.Option, Reason: fmt.Sprintf("index %d is past the end of %s (%d items)", elem.Index, elem.Key, len(child.Content))}
		}
		var item *yaml.Node
		if elem.Index == len(child.Content) {
			item = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			child.Content = append(child.Content, item)
			origin[item] = where
		} else {
			item = child.Content[elem.Index]
		}
		if last {
			*item = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: o.Value}
			origin[item] = where
			return item, nil
		}
		if isNull(item) {
			*item = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		node = item
	}
	return nil, &OverrideError{Option: o.Option}
}

// prefix renders the first n path elements as a dotted key.
func (o Override) prefix(n int) string {
	parts := make([]string, 0, n)
	for _, e := range o.Path[:n] {
		parts = append(parts, e.Key)
	}
	if n == 0 {
		return "the document"
	}
	return strings.Join(parts, ".")
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setMappingValue returns the key node when it had to add one.
func setMappingValue(m *yaml.Node, key string, v *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return nil
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	m.Content = append(m.Content, k, v)
	return k
}
