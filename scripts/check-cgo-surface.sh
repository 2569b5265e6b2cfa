#!/usr/bin/env bash
# Enforces the cgo surface rule: `import "C"` only in *_linux.go binding files,
# and package unsafe only in those or in *_unsafe.go files.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r f; do
  case "$f" in *_linux.go) ;; *) echo "import \"C\" outside a *_linux.go binding file: $f"; bad=1 ;; esac
done < <(grep -rl --include='*.go' '^import "C"' cmd bridge cgo falco 2>/dev/null || true)
while IFS= read -r f; do
  case "$f" in *_linux.go|*_unsafe.go) ;; *) echo "package unsafe outside *_linux.go / *_unsafe.go: $f"; bad=1 ;; esac
done < <(grep -rlE --include='*.go' '^\s*"unsafe"|^import "unsafe"' cmd bridge cgo falco 2>/dev/null || true)
exit $bad
