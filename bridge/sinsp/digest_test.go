package sinsp

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"regexp"
	"testing"
)

// TestShimDigest fails when cgo/sinsp changed without `go generate`: the
// build cache would otherwise keep linking the previously compiled shim.
func TestShimDigest(t *testing.T) {
	h := sha256.New()
	for _, p := range []string{"../../cgo/sinsp/shim.h", "../../cgo/sinsp/shim.cpp"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	want := hex.EncodeToString(h.Sum(nil))[:16]
	wrapper, err := os.ReadFile("shim.cpp")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^// shim digest: (\S+)$`).FindSubmatch(wrapper)
	if m == nil || string(m[1]) != want {
		t.Errorf("bridge/sinsp/shim.cpp digest line is stale (want %s): run go generate ./bridge/sinsp", want)
	}
}
