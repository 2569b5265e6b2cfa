# falco-trace build. After `make deps`, plain `go build ./...` and
# `go test ./...` work too; these targets are conveniences.

SCAP_VERSION  := 0.1.1dev+git20220316.e5c53d64
DEB_PACKAGES  := libfalcosecurity0-dev falcosecurity-scap-dkms libtbb-dev libjsoncpp-dev \
                 libcurl4-openssl-dev g++ sysdig \
                 nginx-light wrk postgresql logrotate git curl python3 openssh-client sudo kmod \
                 passwd strace iproute2
# The first line builds falco-trace; sysdig and the rest are what the tests
# and benchmarks run under the tracer (independent consumer, scenarios,
# false-positive workloads).
GO            ?= go
BIN           := bin/falco-trace
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS       := -X main.Version=$(VERSION)

.PHONY: all deps check-deps build test test-short test-asan fuzz-short lint demo bench clean

all: build

# Installs the Debian 12 packages the build and the tests need. Idempotent and
# fast when everything is present (no apt-get call at all).
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null || \
	  { echo "make deps: apt-get failed; install these Debian 12 packages by hand:$$missing" >&2; exit 1; }; \
	fi
	@$(MAKE) --no-print-directory check-deps

# Names the package to install for every header or source tree that is missing.
check-deps:
	@ok=1; \
	check() { [ -e "$$1" ] || { echo "missing $$1: install the Debian package $$2 (make deps)" >&2; ok=0; }; }; \
	check /usr/include/falcosecurity-libs/userspace/libsinsp/sinsp.h libfalcosecurity0-dev; \
	check /usr/src/scap-$(SCAP_VERSION)/ppm_fillers.c falcosecurity-scap-dkms; \
	check /usr/include/tbb/concurrent_queue.h libtbb-dev; \
	check /usr/include/jsoncpp/json/json.h libjsoncpp-dev; \
	check /usr/include/x86_64-linux-gnu/curl/curl.h libcurl4-openssl-dev; \
	[ $$ok = 1 ]

build: check-deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/falco-trace

# The README's test command. Everything it needs is installed by deps.
test: deps lint
	$(MAKE) --no-print-directory fuzz-short
	GODEBUG=cgocheck=1 $(GO) test -count=1 -timeout 25m ./...

# A short run of every fuzz target (the rules reader and the condition
# parser). The budget is an execution count, not a duration: with a duration
# the go command sometimes ends a healthy run with "context deadline
# exceeded" when the deadline meets a worker busy with a new input.
# Longer runs: make fuzz-short FUZZTIME=10m.
FUZZTIME ?= 300000x
fuzz-short:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=10x ./falco/condition/
	$(GO) test -run='^$$' -fuzz='^FuzzReader$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=10x ./falco/reader/

test-short: check-deps
	$(GO) test -count=1 -short ./...

# go test -asan instruments only C, so CGO_CXXFLAGS is needed for the C++
# shim; libasan is linked in, no LD_PRELOAD. libsinsp e5c53d64 leaks the
# partly built object when a filter/format fails to compile: those tests
# run without leak detection.
ASAN_ERROR_TESTS := ErrorPath|CompileFilterErrors|NewFormatter
test-asan: check-deps
	CGO_CXXFLAGS="-O1 -g -fsanitize=address -fno-omit-frame-pointer" \
	  $(GO) test -asan -c -o bin/sinsp-asan.test ./bridge/sinsp
	cd bridge/sinsp && ASAN_OPTIONS=detect_leaks=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/bridge/sinsp/testdata/lsan.supp \
	  ../../bin/sinsp-asan.test -test.count=1 -test.skip '$(ASAN_ERROR_TESTS)'
	cd bridge/sinsp && ASAN_OPTIONS=detect_leaks=0 \
	  ../../bin/sinsp-asan.test -test.count=1 -test.run '$(ASAN_ERROR_TESTS)'

lint: check-deps
	$(GO) vet ./...
	@out=$$(gofmt -l cmd bridge falco scripts); [ -z "$$out" ] || { echo "gofmt needed:"; echo "$$out"; exit 1; }
	@bash scripts/check-cgo-surface.sh

demo: deps build
	@bash scripts/demo.sh $(BIN)

# Overhead benchmark, not a test: prints tables (throughput ratios against
# the same workload untraced, per-syscall and per-process costs against a
# do-nothing ptrace tracer, strace, alert latency), never fails on a missed
# target. About 5.5 minutes on 2 vCPUs. BENCH_ARGS goes to scripts/bench/bench.go,
# e.g. make bench BENCH_ARGS='-rounds 3 -workloads openclose,getpid -alert-n 0'
bench: build
	FALCO_TRACE_BENCH_NO_BUILD=1 bash scripts/bench/bench.sh $(BENCH_ARGS)

clean:
	rm -rf bin
