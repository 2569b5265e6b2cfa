#!/bin/sh
# Builds and runs a small Go program with `go build` and `go run` (the go
# command runs the compiler and linker and, for go run, the program from its
# build cache below /tmp).
# requires: go
# timeout: 180
set -eu
cd "$FT_SCENARIO_WORK"
cat >go.mod <<'SRC'
module example.com/hello

go 1.21
SRC
cat >main.go <<'SRC'
package main

import (
	"fmt"
	"os"
)

func main() { fmt.Fprintln(os.Stdout, "hello from Go") }
SRC
go build -o hello .
./hello >/dev/null
go run . >/dev/null
