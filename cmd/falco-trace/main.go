// Command falco-trace runs Falco runtime security for workloads that can only
// be traced from userspace (ptrace + seccomp), such as AWS ECS Fargate tasks.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args))
}

// run executes the CLI and maps its error to the process exit code. It is the
// only place that decides the exit code, so deferred cleanup in commands
// (flushing alerts, detaching the tracer) always runs first.
func run(args []string) int {
	err := newApp().Run(args)
	if err == nil {
		return 0
	}
	var exitErr *ExitError
	if errors.As(err, &exitErr) {
		if exitErr.Err != nil {
			fmt.Fprintf(os.Stderr, "falco-trace: %v\n", exitErr.Err)
		}
		return exitErr.Code
	}
	var usageErr *UsageError
	if errors.As(err, &usageErr) {
		fmt.Fprintf(os.Stderr, "falco-trace: %v\n", usageErr.Err)
		return 2
	}
	fmt.Fprintf(os.Stderr, "falco-trace: %v\n", err)
	return 1
}
