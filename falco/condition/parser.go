package condition

import (
	"strconv"
	"strings"
)

// ParseOptions tunes ParseWith.
type ParseOptions struct {
	// SinspEscapes decodes quoted strings the way the libsinsp e5c53d64
	// string compiler does (\\ -> \, \" -> ", \xHH -> byte, any other \c
	// kept as the two bytes). Use it to read back strings produced by
	// Canonical. Falco rule text must be parsed without it: 0.31.1 keeps
	// quoted content raw, backslashes included (engine-spec §2.1 Q5).
	SinspEscapes bool
	// MaxDepth bounds the nesting of brackets and `not` (0 means 1000, the
	// stack limit parser.lua sets for LPeg). Deeper input is a SyntaxError.
	MaxDepth int
}

const defaultMaxDepth = 1000

// Parse parses a Falco condition with the default options. A condition
// whose first non-blank character is '#' is a comment and yields *Empty.
// Errors are *SyntaxError.
func Parse(text string) (Node, error) { return ParseWith(text, ParseOptions{}) }

// ParseWith parses a condition with explicit options.
//
// The parser is a backtracking recursive-descent transcription of 0.31.1's
// PEG (parser.lua), so that error positions and "expecting" lists come out
// as 0.31.1 prints them: every token that fails records its name at its
// position, and the error reports the farthest such position with the names
// recorded there, the latest first.
func ParseWith(text string, opts ParseOptions) (Node, error) {
	p := &parser{src: text, opts: opts, ffp: -1, maxDepth: opts.MaxDepth}
	if p.maxDepth <= 0 {
		p.maxDepth = defaultMaxDepth
	}
	start := p.skip(0)
	if start < len(text) && text[start] == '#' {
		return &Empty{Pos: start + 1}, nil
	}
	n, end, ok := p.parseOr(start)
	if p.tooDeep {
		return nil, &SyntaxError{Pos: p.deepPos + 1, Msg: "expression nested too deeply"}
	}
	if ok && end == len(text) {
		return n, nil
	}
	return nil, p.syntaxError(end)
}

type parser struct {
	src      string
	opts     ParseOptions
	ffp      int      // farthest failure offset (0-based), -1 when none
	expected []string // token names that failed at ffp, in recording order
	depth    int
	maxDepth int
	tooDeep  bool
	deepPos  int
}

// fail records that the token `name` was expected at offset pos.
func (p *parser) fail(pos int, name string) {
	switch {
	case pos > p.ffp:
		p.ffp = pos
		p.expected = append(p.expected[:0], name)
	case pos == p.ffp:
		for _, e := range p.expected {
			if e == name {
				return
			}
		}
		p.expected = append(p.expected, name)
	}
}

func (p *parser) syntaxError(end int) *SyntaxError {
	pos := p.ffp
	if pos < 0 {
		pos = end
	}
	var exp strings.Builder
	for i := len(p.expected) - 1; i >= 0; i-- {
		exp.WriteString("'" + p.expected[i] + "'")
		if i > 0 {
			exp.WriteString(", ")
		}
	}
	return &SyntaxError{
		Pos: pos + 1,
		Msg: "unexpected '" + unexpectedWord(p.src, pos) + "', expecting " + exp.String(),
	}
}

// unexpectedWord is what 0.31.1 shows as the unexpected token at pos: an
// identifier, a number, a complete quoted string, else one byte ("EOF" at
// the end).
func unexpectedWord(s string, pos int) string {
	if pos >= len(s) {
		return "EOF"
	}
	if isIDStart(s[pos]) {
		end := pos + 1
		for end < len(s) && isIDRest(s[end]) {
			end++
		}
		return s[pos:end]
	}
	if n := numberPrefix(s, pos); n > 0 {
		return s[pos : pos+n]
	}
	if c := s[pos]; c == '"' || c == '\'' {
		if end, ok := scanQuoted(s, pos); ok {
			return s[pos:end]
		}
	}
	return s[pos : pos+1]
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
func isAlpha(c byte) bool   { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }
func isXDigit(c byte) bool  { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isIDStart(c byte) bool { return isAlpha(c) || c == '_' }
func isIDRest(c byte) bool  { return isAlpha(c) || isDigit(c) || c == '_' }

// isBareStop ends a bare string: whitespace (and backspace, as 0.32's
// BareStr) or one of the grammar's delimiters `(),=`.
func isBareStop(c byte) bool {
	return isSpace(c) || c == '\b' || c == '(' || c == ')' || c == ',' || c == '='
}

func (p *parser) skip(pos int) int {
	for pos < len(p.src) && isSpace(p.src[pos]) {
		pos++
	}
	return pos
}

// kw matches a keyword that must not be followed by an identifier character.
func (p *parser) kw(pos int, word string) (int, bool) {
	end := pos + len(word)
	if strings.HasPrefix(p.src[pos:], word) && (end == len(p.src) || !isIDRest(p.src[end])) {
		return p.skip(end), true
	}
	p.fail(pos, word)
	return pos, false
}

// symb matches a symbol with no word-boundary check (0.31.1 treats the
// textual operators, e.g. `contains`, this way too).
func (p *parser) symb(pos int, s string) (int, bool) {
	if strings.HasPrefix(p.src[pos:], s) {
		return p.skip(pos + len(s)), true
	}
	p.fail(pos, s)
	return pos, false
}

func (p *parser) enter(pos int) bool {
	p.depth++
	if p.depth > p.maxDepth {
		if !p.tooDeep {
			p.tooDeep, p.deepPos = true, pos
		}
		return false
	}
	return true
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseOr(pos int) (Node, int, bool) {
	left, cur, ok := p.parseAnd(pos)
	if !ok {
		return nil, pos, false
	}
	for {
		q, ok := p.kw(cur, "or")
		if !ok {
			break
		}
		right, end, ok := p.parseAnd(q)
		if !ok {
			break
		}
		left, cur = &Or{Left: left, Right: right, Pos: pos + 1}, end
	}
	return left, cur, true
}

func (p *parser) parseAnd(pos int) (Node, int, bool) {
	left, cur, ok := p.parseNot(pos)
	if !ok {
		return nil, pos, false
	}
	for {
		q, ok := p.kw(cur, "and")
		if !ok {
			break
		}
		right, end, ok := p.parseNot(q)
		if !ok {
			break
		}
		left, cur = &And{Left: left, Right: right, Pos: pos + 1}, end
	}
	return left, cur, true
}

func (p *parser) parseNot(pos int) (Node, int, bool) {
	if p.tooDeep {
		return nil, pos, false
	}
	defer p.leave()
	if !p.enter(pos) {
		return nil, pos, false
	}
	if q, ok := p.kw(pos, "not"); ok {
		if operand, end, ok := p.parseNot(q); ok {
			return &Not{Operand: operand, Pos: pos + 1}, end, true
		}
	}
	// Exists := Field "exists"
	if field, q, ok := p.fieldName(pos); ok {
		if end, ok := p.kw(q, OpExists); ok {
			return &Exists{Field: field, Pos: pos + 1}, end, true
		}
	}
	if name, end, ok := p.macro(pos); ok {
		return &MacroRef{Name: name, Pos: pos + 1}, end, true
	}
	return p.parseRelation(pos)
}

func (p *parser) parseRelation(pos int) (Node, int, bool) {
	if field, q, ok := p.fieldName(pos); ok {
		if op, q2, ok := p.relOp(q); ok {
			if v, end, ok := p.value(q2); ok {
				return &Compare{Field: field, Op: op, Value: v, Pos: pos + 1}, end, true
			}
		}
	}
	if field, q, ok := p.fieldName(pos); ok {
		if op, q2, ok := p.setOp(q); ok {
			if items, end, ok := p.inList(q2); ok {
				return &ListCompare{Field: field, Op: op, Items: items, Pos: pos + 1}, end, true
			}
			// 0.32+: `f in listname`. Not recorded as an expected token
			// so that error messages keep their 0.31.1 shape.
			if name, end, ok := p.listName(q2); ok {
				return &ListCompare{Field: field, Op: op, ListName: name, Pos: pos + 1}, end, true
			}
		}
	}
	if q, ok := p.symb(pos, "("); ok {
		if inner, q2, ok := p.parseOr(q); ok {
			if end, ok := p.symb(q2, ")"); ok {
				return inner, end, true
			}
		}
	}
	return nil, pos, false
}

// fieldName matches Identifier ('.' | Identifier)+ ('[' arg ']')?. The
// argument is more lenient than 0.31.1's (anything but ']'), which only
// accepts more: 0.31.1 fails on the '[' of an argument it cannot read.
func (p *parser) fieldName(pos int) (string, int, bool) {
	s := p.src
	i := pos
	if i >= len(s) || !isIDStart(s[i]) {
		p.fail(pos, "FieldName")
		return "", pos, false
	}
	for i++; i < len(s) && isIDRest(s[i]); i++ {
	}
	parts := 0
	for i < len(s) {
		if s[i] == '.' {
			i++
			parts++
			continue
		}
		if isIDStart(s[i]) {
			for i++; i < len(s) && isIDRest(s[i]); i++ {
			}
			parts++
			continue
		}
		break
	}
	if parts == 0 {
		p.fail(pos, "FieldName")
		return "", pos, false
	}
	if i < len(s) && s[i] == '[' {
		if j := strings.IndexByte(s[i+1:], ']'); j > 0 {
			i += j + 2
		}
	}
	return s[pos:i], p.skip(i), true
}

// macro matches an identifier not followed by '.'.
func (p *parser) macro(pos int) (string, int, bool) {
	s := p.src
	if pos >= len(s) || !isIDStart(s[pos]) {
		p.fail(pos, "Macro")
		return "", pos, false
	}
	i := pos + 1
	for i < len(s) && isIDRest(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '.' {
		p.fail(pos, "Macro")
		return "", pos, false
	}
	return s[pos:i], p.skip(i), true
}

// relOps031 is 0.31.1's ordered choice of binary operators, used for the
// "expecting" list. `==` is matched before `=` (0.31.1 never reaches it,
// Q1), and bcontains/bstartswith are 0.32+ additions.
var relOps031 = []string{OpEq, OpEqEq, OpNe, OpLe, OpGe, OpLt, OpGt, OpContains, OpIContains, OpGlob, OpStartsWith, OpEndsWith}

func (p *parser) relOp(pos int) (string, int, bool) {
	rest := p.src[pos:]
	if strings.HasPrefix(rest, OpEqEq) {
		return OpEqEq, p.skip(pos + 2), true
	}
	for _, op := range relOps031 {
		if strings.HasPrefix(rest, op) {
			return op, p.skip(pos + len(op)), true
		}
		p.fail(pos, op)
	}
	for _, op := range []string{OpBContains, OpBStartsWith} {
		if strings.HasPrefix(rest, op) {
			return op, p.skip(pos + len(op)), true
		}
	}
	return "", pos, false
}

func (p *parser) setOp(pos int) (string, int, bool) {
	for _, op := range []string{OpIn, OpIntersects, OpPmatch} {
		if end, ok := p.kw(pos, op); ok {
			return op, end, true
		}
	}
	return "", pos, false
}

// inList matches "(" Value? ("," Value*)* ")": empty elements are allowed and
// so are runs of values after a comma, as in 0.31.1.
func (p *parser) inList(pos int) ([]Value, int, bool) {
	cur, ok := p.symb(pos, "(")
	if !ok {
		return nil, pos, false
	}
	items := []Value{}
	if v, end, ok := p.value(cur); ok {
		items = append(items, v)
		cur = end
	}
	for {
		q, ok := p.symb(cur, ",")
		if !ok {
			break
		}
		cur = q
		for {
			v, end, ok := p.value(cur)
			if !ok {
				break
			}
			items = append(items, v)
			cur = end
		}
	}
	end, ok := p.symb(cur, ")")
	if !ok {
		return nil, pos, false
	}
	return items, end, true
}

// listName matches the bare list name of `f in listname` without recording
// expected tokens.
func (p *parser) listName(pos int) (string, int, bool) {
	s := p.src
	i := pos
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		return "", pos, false
	}
	for i < len(s) && !isBareStop(s[i]) {
		i++
	}
	if i == pos || isNumber(s[pos:i]) {
		return "", pos, false
	}
	return s[pos:i], p.skip(i), true
}

// value matches a Number, a quoted String or a BareString. Unlike 0.31.1,
// a bare word is read whole up to whitespace or `(),=` and is a Number only
// if the whole word is one (so `11-dhclient` stays one string, Q4).
func (p *parser) value(pos int) (Value, int, bool) {
	s := p.src
	if pos < len(s) && (s[pos] == '"' || s[pos] == '\'') {
		p.fail(pos, "Number")
		end, ok := scanQuoted(s, pos)
		if !ok {
			p.fail(pos, "String")
			p.fail(pos, "BareString")
			return Value{}, pos, false
		}
		raw := s[pos+1 : end-1]
		if p.opts.SinspEscapes {
			raw = decodeSinspEscapes(raw)
		}
		return Value{Kind: QuotedString, Text: raw, Quote: s[pos], Pos: pos + 1}, p.skip(end), true
	}
	i := pos
	for i < len(s) && !isBareStop(s[i]) {
		i++
	}
	if i == pos {
		p.fail(pos, "Number")
		p.fail(pos, "String")
		p.fail(pos, "BareString")
		return Value{}, pos, false
	}
	word := s[pos:i]
	if isNumber(word) {
		return Value{Kind: Number, Text: word, Pos: pos + 1}, p.skip(i), true
	}
	p.fail(pos, "Number")
	p.fail(pos, "String")
	return Value{Kind: BareString, Text: word, Pos: pos + 1}, p.skip(i), true
}

// scanQuoted returns the offset just past the closing quote of the string
// starting at pos. A backslash escapes the next byte.
func scanQuoted(s string, pos int) (int, bool) {
	q := s[pos]
	for i := pos + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
			}
		case q:
			return i + 1, true
		}
	}
	return pos, false
}

// numberPrefix returns the length of the 0.31.1 Number at pos (Hex, then
// Float, then Int, whichever matches first, not followed by an identifier
// start), or 0.
func numberPrefix(s string, pos int) int {
	n := 0
	switch {
	case hexLen(s, pos) > 0:
		n = hexLen(s, pos)
	case floatLen(s, pos) > 0:
		n = floatLen(s, pos)
	default:
		n = digitsLen(s, pos)
	}
	if n == 0 || pos+n < len(s) && isIDStart(s[pos+n]) {
		return 0
	}
	return n
}

func digitsLen(s string, pos int) int {
	i := pos
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i - pos
}

func hexLen(s string, pos int) int {
	if pos+2 >= len(s) || s[pos] != '0' || s[pos+1] != 'x' && s[pos+1] != 'X' {
		return 0
	}
	i := pos + 2
	for i < len(s) && isXDigit(s[i]) {
		i++
	}
	if i == pos+2 {
		return 0
	}
	return i - pos
}

func expoLen(s string, pos int) int {
	if pos >= len(s) || s[pos] != 'e' && s[pos] != 'E' {
		return 0
	}
	i := pos + 1
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	d := digitsLen(s, i)
	if d == 0 {
		return 0
	}
	return i + d - pos
}

func floatLen(s string, pos int) int {
	d := digitsLen(s, pos)
	i := pos + d
	switch {
	case d > 0 && i < len(s) && s[i] == '.':
		i++
		i += digitsLen(s, i)
		return i + expoLen(s, i) - pos
	case d == 0 && i < len(s) && s[i] == '.' && digitsLen(s, i+1) > 0:
		i++
		i += digitsLen(s, i)
		return i + expoLen(s, i) - pos
	case d > 0:
		if e := expoLen(s, i); e > 0 {
			return i + e - pos
		}
	}
	return 0
}

// isNumber reports whether the whole word is a 0.31.1 Number.
func isNumber(word string) bool {
	return word != "" && numberPrefix(word, 0) == len(word)
}

// decodeSinspEscapes undoes the escaping of the libsinsp e5c53d64 string
// compiler: \\ -> \, \" -> ", \xHH -> byte; any other \c stays as is.
func decodeSinspEscapes(raw string) string {
	if !strings.Contains(raw, `\`) {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			b.WriteByte(c)
			continue
		}
		switch next := raw[i+1]; {
		case next == '\\' || next == '"':
			b.WriteByte(next)
			i++
		case next == 'x' && i+3 < len(raw) && isXDigit(raw[i+2]) && isXDigit(raw[i+3]):
			v, _ := strconv.ParseUint(raw[i+2:i+4], 16, 8)
			b.WriteByte(byte(v))
			i += 3
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
