package condition_test

import (
	"fmt"

	"github.com/falco-trace/falco-trace/falco/condition"
)

func Example() {
	lists := map[string][]string{"shell_binaries": {"bash", "sh"}, "allowed": {}}
	spawned, _ := condition.Parse("evt.type = execve and evt.dir = <")
	macros := map[string]condition.Node{"spawned_process": spawned}

	n, err := condition.Parse("spawned_process and proc.name in (shell_binaries) and not proc.pname in (allowed)")
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err = condition.ResolveMacros(condition.ResolveLists(n, lists), macros)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(condition.Canonical(n))

	_, err = condition.Parse("evt.type=open bar")
	fmt.Println(err)
	// Output:
	// evt.type = "execve" and evt.dir = "<" and proc.name in ("bash", "sh")
	// 15: syntax error, unexpected 'bar', expecting 'or', 'and'
}
