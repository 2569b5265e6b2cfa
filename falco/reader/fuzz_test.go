package reader

import (
	"strings"
	"testing"
)

// FuzzReader checks that Read never panics and always returns either items
// or a structural error with a message.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n",
		"---\n- macro: m\n  condition: a\n---\n- list: l\n  items: [a, 'b c']\n",
		"this : is : not : yaml\n",
		"- foo\n",
		"foo: bar",
		"- list: a\n  items: &a [x]\n- list: b\n  items: *a\n",
		"- rule: x\n  exceptions:\n    - name: e\n      fields: [a, b]\n      values: [[1, [2, 3]]]\n",
		"-\n  rule: r\n\n\n-",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := Read("fuzz.yaml", data)
		if file.Err != nil {
			if file.Err.Message == "" {
				t.Fatalf("structural error without a message")
			}
			if file.ErrAfterItems > len(file.Items) {
				t.Fatalf("ErrAfterItems %d > %d items", file.ErrAfterItems, len(file.Items))
			}
		}
		for _, it := range file.Items {
			if it.Context != "" && !strings.HasSuffix(it.Context, "\n") {
				t.Fatalf("context without final newline: %q", it.Context)
			}
		}
	})
}
