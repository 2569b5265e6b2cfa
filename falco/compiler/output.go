package compiler

import (
	"strings"
)

// containerInfo is the pseudo field Falco substitutes in outputs (engine-spec
// §3.6); libsinsp has no such field.
const containerInfo = "%container.info"

// ExpandContainerInfo applies Falco 0.31.1's `-p` handling to a syscall rule
// output. Without -p (extra "" and replace false) %container.info becomes
// "%container.name (id=%container.id)" and nothing is appended.
func ExpandContainerInfo(output, extra string, replace bool) string {
	if strings.Contains(output, containerInfo) {
		if !replace {
			output = strings.ReplaceAll(output, containerInfo, "%container.name (id=%container.id)")
			if extra != "" {
				output += " " + extra
			}
			return output
		}
		return strings.ReplaceAll(output, containerInfo, extra)
	}
	if extra != "" {
		output += " " + extra
	}
	return output
}

// outputTokens returns the field names of the %tokens of a format string as
// a reader would take them: a '%', an optional fixed width, then the longest
// run of field-name characters and an optional [arg]. Trailing dots are
// punctuation ("file=%fd.name."), not part of the name.
func outputTokens(format string) []string {
	var out []string
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(format) && format[j] >= '0' && format[j] <= '9' {
			j++
		}
		start := j
		for j < len(format) && isFieldChar(format[j]) {
			j++
		}
		name := strings.TrimRight(format[start:j], ".")
		j = start + len(name)
		if j < len(format) && format[j] == '[' && name != "" {
			if k := strings.IndexByte(format[j:], ']'); k > 0 {
				j += k + 1
				name = format[start:j]
			}
		}
		if name != "" {
			out = append(out, name)
		}
		i = j - 1
	}
	return out
}

func isFieldChar(c byte) bool {
	return c == '.' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
