package condition

import (
	"fmt"
	"strings"
)

// SyntaxError is a condition that does not parse. Pos is the 1-based byte
// offset of the farthest point the parser reached, Msg has the 0.31.1 shape
// "unexpected 'bar', expecting 'or', 'and'". Error() adds the position
// prefix like 0.31.1: "15: syntax error, unexpected ...". The loader prefixes
// it with `Compilation error when compiling "<text>": `.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%d: syntax error, %s", e.Pos, e.Msg)
}

// UndefinedMacroError is a macro reference with no definition. Quoted
// reproduces 0.31.1's two message shapes (compiler.lua expand_macros): the
// name is quoted when the macro is the whole filter or the left operand of
// and/or, and unquoted as a right operand or under not.
type UndefinedMacroError struct {
	Name   string
	Quoted bool
}

func (e *UndefinedMacroError) Error() string {
	if e.Quoted {
		return "Undefined macro '" + e.Name + "' used in filter."
	}
	return "Undefined macro " + e.Name + " used in filter."
}

// MacroCycleError is a macro that references itself, directly or through
// other macros. Falco 0.31.1 would recurse until it ran out of memory; we
// report the cycle instead. Cycle lists the macro names along the loop, the
// first name repeated at the end.
type MacroCycleError struct {
	Cycle []string
}

func (e *MacroCycleError) Error() string {
	return "Macro cycle detected: " + strings.Join(e.Cycle, " -> ")
}
