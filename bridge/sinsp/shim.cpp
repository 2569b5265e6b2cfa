// Wrapper: cgo compiles only the C/C++ files beside an import "C" file.
// The go command's build cache hashes this file but not the files it
// includes, so the digest line below follows cgo/sinsp/{shim.h,shim.cpp}:
// run `go generate ./bridge/sinsp` after changing them (TestShimDigest).
// shim digest: 0dc35139a4762d70
#include "../../cgo/sinsp/shim.cpp"
