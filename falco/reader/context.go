package reader

import "strings"

// lineIndex reproduces the line model of Falco 0.31.1's rule_loader.lua
// (split_lines / get_orig_yaml_obj / get_lines): empty lines are left out of
// the line list, and an item's context runs from its first line to the next
// remaining line that starts with '-' (which includes "---" markers).
type lineIndex struct {
	lines []string // non-empty lines, in order
	// byPhysical[n-1] is the index in lines of physical line n, or of the
	// next non-empty line when line n is empty.
	byPhysical []int
	physical   []string // all lines
	contexts   map[int]string
}

// maxContextLines bounds an item's context. Falco's is unbounded, but items
// written on one line of a flow sequence would otherwise each repeat the
// rest of the file (quadratic in hostile input); real items are far
// shorter.
const maxContextLines = 2000

func newLineIndex(content []byte) *lineIndex {
	li := &lineIndex{}
	phys := strings.Split(string(content), "\n")
	if n := len(phys); n > 0 && phys[n-1] == "" {
		phys = phys[:n-1] // the newline ending the last line
	}
	li.physical = phys
	li.byPhysical = make([]int, len(phys))
	for i, l := range phys {
		li.byPhysical[i] = len(li.lines)
		if l != "" {
			li.lines = append(li.lines, l)
		}
	}
	return li
}

// itemStart returns the physical line where the item whose node starts on
// physical line nodeLine begins: the node line itself, or the line before it
// when that holds only the "-" of a block sequence entry.
func (li *lineIndex) itemStart(nodeLine int) int {
	if nodeLine < 1 || nodeLine > len(li.physical) {
		return nodeLine
	}
	for p := nodeLine - 1; p >= 1; p-- {
		l := strings.TrimRight(li.physical[p-1], " \t\r")
		if l == "" {
			continue
		}
		if strings.TrimLeft(l, " \t") == "-" {
			return p
		}
		break
	}
	return nodeLine
}

// context returns the item text that starts on physical line line.
func (li *lineIndex) context(line int) string {
	if line < 1 || line > len(li.physical) {
		return ""
	}
	if c, ok := li.contexts[line]; ok {
		return c
	}
	idx := li.byPhysical[line-1]
	var b strings.Builder
	for i := idx; i < len(li.lines) && i < idx+maxContextLines; i++ {
		if i > idx && strings.HasPrefix(li.lines[i], "-") {
			break
		}
		b.WriteString(li.lines[i])
		b.WriteByte('\n')
	}
	if li.contexts == nil {
		li.contexts = map[int]string{}
	}
	li.contexts[line] = b.String()
	return li.contexts[line]
}

// block returns n lines from row, counting like Falco's get_lines: row is
// used as an index into the non-empty lines (Falco passes libyaml's row
// there, so in files with empty lines the text shown can be off; we keep
// the same text).
func (li *lineIndex) block(row, n int) string {
	var b strings.Builder
	for i := row; i < row+n && i >= 1 && i <= len(li.lines); i++ {
		b.WriteString(li.lines[i-1])
		b.WriteByte('\n')
	}
	return b.String()
}
