//go:build ignore

// bench.go runs the falco-trace overhead benchmark (make bench, via
// scripts/bench/bench.sh, which builds the tools it needs). Every workload runs
// untraced, under falco-trace, under strace -f and under the floor (the
// shared mintrace, a do-nothing two-stop ptrace+seccomp tracer trapping the
// same system calls as falco-trace's default seccomp set), in paired rounds
// whose variant order rotates. The machines are shared and noisy, so every
// figure is a median over rounds of a per-round ratio or difference to the
// untraced run of the same round, never a single absolute time.
//
//	go run scripts/bench/bench.go -tools DIR -bin bin/falco-trace [-rounds 5]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/falco-trace/falco-trace/bridge/tracer/seccomp"
)

// variant is one way of running a workload command.
type variant struct {
	name string
	wrap func(cmd []string) []string
}

// workload is one benchmark row. run measures one execution of cmd (already
// wrapped by a variant) and returns a throughput (higher is better).
type workload struct {
	name     string
	unit     string // what the throughput counts
	variants []string
	// pdig is the reference relative throughput of pdig (0: none).
	pdig float64
	// target returns the minimum ratio falco-trace must reach (0: none) and
	// how it is stated.
	target func() (float64, string)
	run    func(ctx context.Context, h *harness, v variant) (result, error)
}

type result struct {
	score   float64 // throughput
	latency float64 // nginx only: wrk p50 latency in ms
	alerts  int     // alert lines falco-trace printed
}

type harness struct {
	tools, bin, tmp string
	falcoArgs       []string
	falcoMode       string
	floorNrs        string
	scale           float64
	timeout         time.Duration
	verbose         bool
	variants        map[string]variant
}

var (
	toolsDir     = flag.String("tools", "", "directory with osb, mintrace, pingpong and ftbench binaries (bench.sh builds them)")
	binPath      = flag.String("bin", "bin/falco-trace", "falco-trace binary")
	rounds       = flag.Int("rounds", 5, "paired rounds per workload")
	scale        = flag.Float64("scale", 1, "multiplies every workload's iteration count")
	only         = flag.String("workloads", "", "comma-separated subset of workloads (default all)")
	tmpBase      = flag.String("tmpfs", "/dev/shm", "tmpfs directory for files/tar/alert workloads")
	mode         = flag.String("mode", "auto", "how to run falco-trace: auto, launch, print-events (launch without the rules engine), trace")
	alertN       = flag.Int("alert-n", 100, "alerts per latency scenario (0 skips the latency measurement)")
	alertGap     = flag.Duration("alert-interval", 50*time.Millisecond, "mean pause between two alert triggers")
	runTimeout   = flag.Duration("timeout", 180*time.Second, "timeout of one run")
	verbose      = flag.Bool("v", false, "print every measurement")
	extraFalcoFl = flag.String("falco-args", "", "extra space-separated flags for falco-trace launch")
)

func main() {
	flag.Parse()
	if err := mainErr(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func mainErr() error {
	if *toolsDir == "" {
		return errors.New("-tools is required (scripts/bench/bench.sh builds the tools)")
	}
	tmp, err := os.MkdirTemp(*tmpBase, "ftbench-")
	if err != nil {
		return fmt.Errorf("temp dir on %s: %w", *tmpBase, err)
	}
	defer os.RemoveAll(tmp)
	h := &harness{tools: *toolsDir, bin: *binPath, tmp: tmp, scale: *scale, timeout: *runTimeout, verbose: *verbose}
	if *extraFalcoFl != "" {
		h.falcoArgs = strings.Fields(*extraFalcoFl)
	}
	if h.floorNrs, err = trappedNumbers(); err != nil {
		return err
	}
	if h.falcoMode, err = h.detectMode(*mode); err != nil {
		return err
	}
	h.variants = h.makeVariants()

	all := h.workloads()
	selected := all[:0:0]
	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	for _, w := range all {
		if len(want) == 0 || want[w.name] {
			selected = append(selected, w)
		}
	}
	if len(selected) == 0 && *alertN == 0 {
		return fmt.Errorf("no workload selected by -workloads %q", *only)
	}

	start := time.Now()
	fmt.Printf("falco-trace bench: %s, mode %q, %d paired rounds, scale %g, %d CPUs, floor = mintrace -m trace2 on the %d syscalls of the default seccomp set\n",
		time.Now().UTC().Format(time.RFC3339), h.falcoMode, *rounds, *scale, numCPU(), strings.Count(h.floorNrs, ",")+1)
	fmt.Println(pingpongLine(h))
	fmt.Println(loadLine())

	// samples[workload][variant][round]
	samples := map[string]map[string][]result{}
	for _, w := range selected {
		samples[w.name] = map[string][]result{}
	}
	for r := 0; r < *rounds; r++ {
		for _, w := range selected {
			order := rotate(w.variants, r)
			for _, vn := range order {
				ctx, cancel := context.WithTimeout(context.Background(), h.timeout)
				res, err := w.run(ctx, h, h.variants[vn])
				cancel()
				if err != nil {
					fmt.Fprintf(os.Stderr, "bench: round %d %s/%s: %v\n", r+1, w.name, vn, err)
					res = result{score: math.NaN(), latency: math.NaN()}
				}
				if h.verbose {
					fmt.Fprintf(os.Stderr, "round %d %-10s %-12s %12.1f %s alerts=%d\n", r+1, w.name, vn, res.score, w.unit, res.alerts)
				}
				samples[w.name][vn] = append(samples[w.name][vn], res)
			}
		}
		fmt.Fprintf(os.Stderr, "bench: round %d/%d done (%s)\n", r+1, *rounds, time.Since(start).Round(time.Second))
	}
	if len(selected) > 0 {
		printThroughput(h, selected, samples)
		printVariants(selected, samples)
		printCosts(h, samples)
	}
	if *alertN > 0 {
		printLatency(h)
	}
	fmt.Printf("\n%s\nbench took %s\n", loadLine(), time.Since(start).Round(time.Second))
	return nil
}

// ---------------------------------------------------------------- variants

const (
	vUntraced = "untraced"
	vUntrPin  = "untraced-pin"
	vFalco    = "falco-trace"
	vFalcoPin = "ft-pin"
	vFalcoSpr = "ft-spread"
	vFalcoAll = "ft-no-seccomp"
	vStrace   = "strace"
	vFloor    = "floor"
	vFloorPin = "floor-pin"
	vAllow    = "seccomp-allow"
)

func (h *harness) makeVariants() map[string]variant {
	falco := func(extra ...string) func([]string) []string {
		return func(cmd []string) []string {
			out := []string{h.bin}
			switch h.falcoMode {
			case "trace":
				out = append(out, "trace")
			case "print-events":
				// A filter that matches nothing: libsinsp parses every
				// event, nothing is printed.
				out = append(out, "launch", "--print-events")
			default:
				out = append(out, "launch")
			}
			out = append(out, h.falcoArgs...)
			out = append(out, extra...)
			if h.falcoMode == "print-events" {
				out = append(out, "evt.num=0")
			}
			return append(append(out, "--"), cmd...)
		}
	}
	floor := func(extra ...string) func([]string) []string {
		return func(cmd []string) []string {
			out := append([]string{filepath.Join(h.tools, "mintrace"), "-m", "trace2", "-s", h.floorNrs}, extra...)
			return append(out, cmd...)
		}
	}
	return map[string]variant{
		vUntraced: {vUntraced, func(cmd []string) []string { return cmd }},
		// The baseline of the pinned costs: pinning alone changes fork+wait
		// (parent and child share a vCPU), which is not the tracer's cost.
		vUntrPin: {vUntrPin, func(cmd []string) []string { return append([]string{"taskset", "-c", "0"}, cmd...) }},
		vFalco:   {vFalco, falco()},
		// Default placement is auto; these two are its fixed alternatives.
		vFalcoPin: {vFalcoPin, falco("--pin-cpu")},
		vFalcoSpr: {vFalcoSpr, falco("--cpu-placement", "spread")},
		// Without the seccomp filter every syscall stops: what the default
		// trapped set saves.
		vFalcoAll: {vFalcoAll, falco("--no-seccomp")},
		vStrace:   {vStrace, func(cmd []string) []string { return append([]string{"strace", "-f", "-o", "/dev/null"}, cmd...) }},
		vFloor:    {vFloor, floor()},
		// The same vCPU for tracer and tracee, like falco-trace --pin-cpu.
		vFloorPin: {vFloorPin, floor("-c", "0,0")},
		// Attached, with a filter that allows everything: what merely
		// having a seccomp filter costs an untrapped syscall on this kernel.
		vAllow: {vAllow, func(cmd []string) []string {
			return append([]string{filepath.Join(h.tools, "mintrace"), "-m", "allow"}, cmd...)
		}},
	}
}

// detectMode finds out whether launch with the rules engine works yet.
func (h *harness) detectMode(requested string) (string, error) {
	if requested != "auto" {
		return requested, nil
	}
	for _, m := range []string{"launch", "print-events", "trace"} {
		h.falcoMode = m
		cmd := h.makeVariants()[vFalco].wrap([]string{"true"})
		c := exec.Command(cmd[0], cmd[1:]...)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		if err := c.Run(); err == nil {
			return m, nil
		} else {
			fmt.Fprintf(os.Stderr, "bench: %s does not work yet (%v: %s)\n", strings.Join(cmd, " "), err, lastLine(stderr.String()))
		}
	}
	return "", fmt.Errorf("%s cannot run `true` in any mode", h.bin)
}

// trappedNumbers lists the syscall numbers the default seccomp policy traps
// (fcntl is trapped whole by the floor; falco-trace only traps F_DUPFD*).
func trappedNumbers() (string, error) {
	var nrs []string
	for _, e := range seccomp.DefaultPolicy().Entries() {
		if e.Action == seccomp.Trace {
			nrs = append(nrs, strconv.Itoa(int(e.Nr)))
		}
	}
	if len(nrs) == 0 || len(nrs) > 255 {
		return "", fmt.Errorf("default seccomp policy traps %d syscalls: mintrace takes 1..255", len(nrs))
	}
	return strings.Join(nrs, ","), nil
}

// ---------------------------------------------------------------- workloads

var allVariants = []string{vUntraced, vUntrPin, vFalco, vFalcoPin, vFalcoSpr, vStrace, vFloor, vFloorPin}
var processVariants = []string{vUntraced, vUntrPin, vFalco, vFalcoPin, vFalcoSpr, vFalcoAll, vStrace, vFloor, vFloorPin}
var mainVariants = []string{vUntraced, vFalco, vFalcoPin, vFalcoSpr, vStrace, vFloor, vFloorPin}
var untrappedVariants = []string{vUntraced, vFalco, vFalcoPin, vFalcoSpr, vFloor, vAllow}

// placementVariants: a compute-bound workload, where placement, not stops, decides.
var placementVariants = []string{vUntraced, vFalco, vFalcoPin, vFalcoSpr}

func twice(pdig float64) func() (float64, string) {
	return func() (float64, string) { return 2 * pdig, fmt.Sprintf(">=2x pdig (%.3g)", 2*pdig) }
}

func untrapped() (float64, string) { return 0.97, ">=0.97 (not trapped)" }

func (h *harness) n(base int) string {
	return strconv.Itoa(int(math.Max(1, math.Round(float64(base)*h.scale))))
}

func (h *harness) workloads() []workload {
	// opsPerS runs a tool that times its own loop and prints ops_per_s= (osb, ftbench compute).
	opsPerS := func(cmd ...string) func(context.Context, *harness, variant) (result, error) {
		return func(ctx context.Context, h *harness, v variant) (result, error) {
			out, alerts, err := h.exec(ctx, v.wrap(cmd))
			if err != nil {
				return result{}, err
			}
			m := regexp.MustCompile(`ops_per_s=([0-9.]+)`).FindStringSubmatch(out)
			if m == nil {
				return result{}, fmt.Errorf("no ops_per_s in output %q", lastLine(out))
			}
			s, _ := strconv.ParseFloat(m[1], 64)
			return result{score: s, alerts: alerts}, nil
		}
	}
	osb := func(test string, base int, extra ...string) func(context.Context, *harness, variant) (result, error) {
		return opsPerS(append([]string{filepath.Join(h.tools, "osb"), test, h.n(base)}, extra...)...)
	}
	// timed runs cmd under `ftbench timeit` (inside the traced tree) and
	// returns ops/elapsed.
	timed := func(ops float64, prepare func() ([]string, func(), error)) func(context.Context, *harness, variant) (result, error) {
		return func(ctx context.Context, h *harness, v variant) (result, error) {
			cmd, cleanup, err := prepare()
			if err != nil {
				return result{}, err
			}
			defer cleanup()
			timeFile := filepath.Join(h.tmp, "timeit.out")
			os.Remove(timeFile)
			full := append([]string{filepath.Join(h.tools, "ftbench"), "timeit", timeFile}, cmd...)
			_, alerts, err := h.exec(ctx, v.wrap(full))
			if err != nil {
				return result{}, err
			}
			b, err := os.ReadFile(timeFile)
			if err != nil {
				return result{}, fmt.Errorf("timeit result: %w", err)
			}
			var sec float64
			var status int
			if _, err := fmt.Sscanf(string(b), "sec=%g status=%d", &sec, &status); err != nil || status != 0 || sec <= 0 {
				return result{}, fmt.Errorf("timeit: %q", strings.TrimSpace(string(b)))
			}
			return result{score: ops / sec, alerts: alerts}, nil
		}
	}
	shellN := 500.0 * h.scale
	shellLoop := fmt.Sprintf(`i=0; while [ $i -lt %d ]; do cat /etc/hostname >/dev/null; i=$((i+1)); done`, int(math.Max(1, shellN)))
	return []workload{
		{name: "threads", unit: "threads/s", variants: mainVariants, pdig: 0.32, target: twice(0.32), run: osb("threads", 2000)},
		{name: "launch", unit: "fork+exec/s", variants: processVariants, pdig: 0.46, target: twice(0.46), run: osb("launch", 300)},
		{name: "procs", unit: "fork+wait/s", variants: allVariants, pdig: 0.41, target: twice(0.41), run: osb("procs", 1000)},
		{name: "files", unit: "files/s", variants: mainVariants, pdig: 0.11, target: twice(0.11), run: osb("files", 5000, h.tmp)},
		{name: "openclose", unit: "open+close/s", variants: allVariants, pdig: 0.016, target: twice(0.016), run: osb("openclose", 10000)},
		{name: "malloc", unit: "malloc/s", variants: untrappedVariants, pdig: 1.05, target: untrapped, run: osb("malloc", 5000000)},
		// strace stops on every syscall: 1M getpid would take ~40 s under it.
		{name: "getpid", unit: "getpid/s", variants: untrappedVariants, pdig: 0.88, target: untrapped, run: osb("getpid", 1000000)},
		{name: "shell", unit: "cat/s", variants: append(append([]string{}, mainVariants...), vFalcoAll), pdig: 0.20, target: twice(0.20),
			run: timed(math.Max(1, shellN), func() ([]string, func(), error) {
				return []string{"sh", "-c", shellLoop}, func() {}, nil
			})},
		{name: "tar", unit: "extracts/s", variants: mainVariants, pdig: 0.80, target: nil,
			run: timed(1, func() ([]string, func(), error) {
				dir, err := os.MkdirTemp(h.tmp, "tar-")
				if err != nil {
					return nil, nil, err
				}
				return []string{"tar", "-xf", filepath.Join(h.tools, "include.tar"), "-C", dir},
					func() { os.RemoveAll(dir) }, nil
			})},
		{name: "nginx", unit: "req/s", variants: mainVariants, pdig: 0.10, target: twice(0.10), run: runNginx},
		// Two threads of pure arithmetic: what --pin-cpu costs a workload that needs two CPUs,
		// and how much of it auto placement gives back (it widens the mask after ~0.5 s).
		{name: "compute2", unit: "rounds/s", variants: placementVariants,
			run: opsPerS(filepath.Join(h.tools, "ftbench"), "compute", "2", h.n(2000000000))},
	}
}

// exec runs cmd in its own process group, kills the group on timeout, and
// returns stdout and the number of alert-looking lines in it.
func (h *harness) exec(ctx context.Context, cmd []string) (string, int, error) {
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	c.Stdout = &stdout
	c.Stderr = &stderr
	err := c.Run()
	if err != nil {
		return stdout.String(), 0, fmt.Errorf("%s: %w (%s)", shortCmd(cmd), err, lastLine(stderr.String()))
	}
	return stdout.String(), countAlerts(stdout.String()), nil
}

func countAlerts(out string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if isAlertLine(l) {
			n++
		}
	}
	return n
}

var textAlert = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{9}: (Emergency|Alert|Critical|Error|Warning|Notice|Informational|Debug) `)

func isAlertLine(l string) bool {
	return textAlert.MatchString(l) || (strings.HasPrefix(l, "{") && strings.Contains(l, `"priority"`))
}

// runNginx serves a small static file from nginx (one worker) under the
// variant and loads it with wrk (untraced) on loopback for a bounded time.
func runNginx(ctx context.Context, h *harness, v variant) (result, error) {
	dir, err := os.MkdirTemp(h.tmp, "nginx-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	port, err := freePort()
	if err != nil {
		return result{}, err
	}
	www := filepath.Join(dir, "www")
	if err := os.MkdirAll(www, 0o755); err != nil {
		return result{}, err
	}
	if err := os.WriteFile(filepath.Join(www, "index.html"), bytes.Repeat([]byte("falco-trace bench\n"), 40), 0o644); err != nil {
		return result{}, err
	}
	conf := fmt.Sprintf(`worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 256; }
http {
  access_log %[1]s/access.log;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server { listen 127.0.0.1:%[2]d; root %[3]s; }
}
`, dir, port, www)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return result{}, err
	}
	cmd := v.wrap([]string{"nginx", "-c", confPath, "-p", dir, "-e", filepath.Join(dir, "error.log")})
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Start(); err != nil {
		return result{}, err
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	stop := func() error {
		if b, err := os.ReadFile(filepath.Join(dir, "nginx.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(pid, syscall.SIGTERM)
			}
		}
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			<-done
			return errors.New("nginx did not stop within 15 s")
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case err := <-done:
			return result{}, fmt.Errorf("nginx exited before listening: %v (%s)", err, lastLine(stderr.String()))
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return result{}, errors.New("nginx not listening after 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	dur := fmt.Sprintf("%ds", int(math.Max(1, math.Round(3*h.scale))))
	wrk := exec.CommandContext(ctx, "wrk", "-t1", "-c8", "-d"+dur, "--latency", "http://"+addr+"/index.html")
	wout, werr := wrk.CombinedOutput()
	serr := stop()
	if werr != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", werr, lastLine(string(wout)))
	}
	if serr != nil && !isSignalExit(serr) {
		// nginx exits 0 on SIGTERM; falco-trace reports the workload's status.
		return result{}, fmt.Errorf("%s: %v (%s)", shortCmd(cmd), serr, lastLine(stderr.String()))
	}
	res := result{alerts: countAlerts(stdout.String())}
	if m := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(wout); m != nil {
		res.score, _ = strconv.ParseFloat(string(m[1]), 64)
	} else {
		return result{}, fmt.Errorf("no Requests/sec in wrk output: %q", lastLine(string(wout)))
	}
	if m := regexp.MustCompile(`\n\s+50%\s+([0-9.]+)(us|ms|s)`).FindSubmatch(wout); m != nil {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		res.latency = v * map[string]float64{"us": 1e-3, "ms": 1, "s": 1e3}[string(m[2])]
	}
	return res, nil
}

func isSignalExit(err error) bool {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			return ws.Signaled() || ws.ExitStatus() == 128+int(syscall.SIGTERM)
		}
	}
	return false
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ---------------------------------------------------------------- reports

// ratios returns the per-round score ratios v/untraced (NaN rounds dropped).
func ratios(s map[string][]result, v string) []float64 {
	var out []float64
	for i, r := range s[v] {
		if i < len(s[vUntraced]) {
			if x := r.score / s[vUntraced][i].score; !math.IsNaN(x) && !math.IsInf(x, 0) {
				out = append(out, x)
			}
		}
	}
	return out
}

// extraMicros returns per-round (1/score_v - 1/score_base) in µs divided
// by per: the added cost of one operation's unit. The base is the untraced
// run, pinned like v when v is a pinned variant and a pinned baseline exists.
func extraMicros(s map[string][]result, v string, per float64) []float64 {
	base := vUntraced
	// auto placement keeps these syscall-bound workloads on one CPU
	if (v == vFalco || v == vFalcoPin || v == vFloorPin) && len(s[vUntrPin]) > 0 {
		base = vUntrPin
	}
	var out []float64
	for i, r := range s[v] {
		if i < len(s[base]) {
			x := (1/r.score - 1/s[base][i].score) * 1e6 / per
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				out = append(out, x)
			}
		}
	}
	return out
}

func median(xs []float64) float64 {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func scores(rs []result) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.score
	}
	return out
}

func fmtNum(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.3g", x)
	}
}

func fmtRatio(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.3f", x)
}

func verdict(ok bool, have bool) string {
	switch {
	case !have:
		return "n/a"
	case ok:
		return "MET"
	default:
		return "NOT MET"
	}
}

func has(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func printThroughput(h *harness, ws []workload, samples map[string]map[string][]result) {
	fmt.Printf("\nThroughput (median over rounds; ratio = median of per-round traced/untraced; ft = falco-trace %s)\n", h.falcoMode)
	tw := newTable("workload", "unit", "untraced", "falco-trace", "ratio", "(range)", "ft spread", "ratio", "--pin-cpu ratio", "strace", "ratio", "floor ratio", "floor pinned", "pdig ratio", "target", "default (auto)", "spread", "alerts")
	for _, w := range ws {
		s := samples[w.name]
		med := func(v string) string {
			if !has(w.variants, v) {
				return "-"
			}
			return fmtNum(median(scores(s[v])))
		}
		rat := func(v string) float64 {
			if !has(w.variants, v) {
				return math.NaN()
			}
			return median(ratios(s, v))
		}
		target, targetText, met, metPin := 0.0, "-", "n/a", "n/a"
		if w.target != nil {
			target, targetText = w.target()
			met = verdict(rat(vFalco) >= target, !math.IsNaN(rat(vFalco)))
			metPin = verdict(rat(vFalcoSpr) >= target, !math.IsNaN(rat(vFalcoSpr)))
			// A target that even the do-nothing floor misses cannot be met by a tracer that
			// stops like it: say so (the floor of an untrapped workload is any filter at all).
			floorBest := math.NaN()
			for _, v := range []string{vFloor, vFloorPin, vAllow} {
				if r := rat(v); !math.IsNaN(r) && (math.IsNaN(floorBest) || r > floorBest) {
					floorBest = r
				}
			}
			if met == "NOT MET" && floorBest < target {
				met = fmt.Sprintf("NOT MET (floor %.3g)", floorBest)
			}
		}
		pdig := "-"
		if w.pdig > 0 {
			pdig = fmt.Sprintf("%.3g", w.pdig)
		}
		alerts := 0
		for _, r := range s[vFalco] {
			alerts = max(alerts, r.alerts)
		}
		spread := "-"
		if rs := ratios(s, vFalco); len(rs) > 0 {
			sort.Float64s(rs)
			spread = fmt.Sprintf("%.2f-%.2f", rs[0], rs[len(rs)-1])
		}
		tw.row(w.name, w.unit, med(vUntraced), med(vFalco), fmtRatio(rat(vFalco)), spread, med(vFalcoSpr), fmtRatio(rat(vFalcoSpr)),
			fmtRatio(rat(vFalcoPin)), med(vStrace), fmtRatio(rat(vStrace)), fmtRatio(rat(vFloor)), fmtRatio(rat(vFloorPin)), pdig, targetText, met, metPin, strconv.Itoa(alerts))
		if w.name == "nginx" {
			lat := func(v string) string {
				var xs []float64
				for _, r := range s[v] {
					xs = append(xs, r.latency)
				}
				return fmtNum(median(xs))
			}
			tw.row("  nginx p50", "ms", lat(vUntraced), lat(vFalco), "", "", lat(vFalcoSpr), "", "", lat(vStrace), "", "", "", "0.23->2.3", "", "", "", "")
		}
	}
	tw.print()
}

// printVariants shows every variant's median ratio: which tracer options
// matter (placement, seccomp set) next to strace and the floor.
func printVariants(ws []workload, samples map[string]map[string][]result) {
	cols := []string{vUntrPin, vFalco, vFalcoPin, vFalcoSpr, vFalcoAll, vStrace, vFloor, vFloorPin, vAllow}
	fmt.Printf("\nMedian ratio traced/untraced of every variant (ft = falco-trace; floor = mintrace -m trace2, same trapped set)\n")
	tw := newTable(append([]string{"workload"}, cols...)...)
	for _, w := range ws {
		cells := []string{w.name}
		for _, v := range cols {
			if has(w.variants, v) {
				cells = append(cells, fmtRatio(median(ratios(samples[w.name], v))))
			} else {
				cells = append(cells, "")
			}
		}
		tw.row(cells...)
	}
	tw.print()
}

func printCosts(h *harness, samples map[string]map[string][]result) {
	fmt.Printf("\nCosts (median over rounds of per-round traced - untraced time per operation; falco-trace (auto placement keeps these workloads on one CPU) and floor pinned use the untraced run pinned with taskset -c 0 when it was measured)\n")
	tw := newTable("cost", "falco-trace", "ft spread", "floor pinned", "floor", "strace", "pdig ref", "target", "default vs floor pinned", "spread vs floor")
	row := func(name, wl string, per float64, unit string, pdigRef string, factor float64) {
		s, ok := samples[wl]
		if !ok {
			return
		}
		m := func(v string) float64 { return median(extraMicros(s, v, per)) }
		f := func(x float64) string {
			if math.IsNaN(x) {
				return "-"
			}
			return fmt.Sprintf("%.1f %s", x, unit)
		}
		ft, fts, fl, flp := m(vFalco), m(vFalcoSpr), m(vFloor), m(vFloorPin)
		target := fmt.Sprintf("<= %.1fx floor (same placement)", factor)
		// A floor cost at or below zero means the untraced runs were
		// disturbed more than the floor costs: no verdict.
		tw.row(name, f(ft), f(fts), f(flp), f(fl), f(m(vStrace)), pdigRef, target,
			verdict(ft <= factor*flp, !math.IsNaN(ft) && flp > 0),
			verdict(fts <= factor*fl, !math.IsNaN(fts) && fl > 0))
	}
	// openclose: 2 trapped syscalls per operation.
	row("per trapped syscall (openclose)", "openclose", 2, "µs", "34 µs / 13 µs pinned", 1.3)
	row("per fork+exec+wait (launch)", "launch", 1, "µs", "-", 2)
	row("per fork+wait (procs)", "procs", 1, "µs", "~210 µs", 2)
	if s, ok := samples["getpid"]; ok {
		m := func(v string) string {
			x := median(extraMicros(s, v, 1)) * 1000
			if math.IsNaN(x) {
				return "-"
			}
			return fmt.Sprintf("%.0f ns", x)
		}
		tw.row("per untrapped syscall (getpid)", m(vFalco), m(vFalcoSpr), m(vFloorPin), m(vFloor), m(vStrace), "-", "ratio >= 0.97 (table above)", "", "")
		tw.row("  any seccomp filter (mintrace -m allow)", "", "", "", m(vAllow), "", "", "the kernel's own cost", "", "")
	}
	tw.print()
	// Placement: the default (auto) against its fixed alternatives, from the paired ratios.
	for _, alt := range []struct{ v, name string }{{vFalcoSpr, "spread"}, {vFalcoPin, "shared (--pin-cpu)"}} {
		var higher, lower []string
		for name, s := range samples {
			a, b := median(ratios(s, vFalco)), median(ratios(s, alt.v))
			if math.IsNaN(a) || math.IsNaN(b) || name == "malloc" || name == "getpid" {
				continue
			}
			if a >= b*0.97 {
				higher = append(higher, name)
			} else {
				lower = append(lower, fmt.Sprintf("%s (%.2f vs %.2f)", name, a, b))
			}
		}
		sort.Strings(higher)
		sort.Strings(lower)
		fmt.Printf("placement: auto against %s: as good or better (within 3%%) on %d workloads (%s), worse on %d %v\n",
			alt.name, len(higher), strings.Join(higher, ", "), len(lower), lower)
	}
}

// ---------------------------------------------------------------- alert latency

type latencyStats struct {
	expected, got             int
	total, toEvent, eventLine []float64 // ms
}

func printLatency(h *harness) {
	fmt.Printf("\nAlert latency: syscall (CLOCK_REALTIME just before open(\"/etc/shadow\")) -> alert line read on falco-trace's stdout; %d alerts per scenario, mean pause %s\n", *alertN, *alertGap)
	if h.falcoMode != "launch" {
		fmt.Printf("  skipped: falco-trace launch with the rules engine does not work yet (mode %s)\n", h.falcoMode)
		return
	}
	tw := newTable("scenario", "alerts", "p50", "p99", "max", "syscall->evt.time p50", "evt.time->line p50", "evt.time->line p99")
	for _, sc := range []struct {
		name string
		args []string
	}{
		{"idle", nil},
		{"loaded (traced open+close loop)", []string{"load"}},
		{"idle, spread", []string{"spread"}},
		{"loaded, spread", []string{"spread", "load"}},
	} {
		st, err := h.alertLatency(sc.args)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: alert latency %s: %v\n", sc.name, err)
			tw.row(sc.name, "error", "-", "-", "-", "-", "-", "-")
			continue
		}
		q := func(xs []float64, p float64) string {
			x := quantile(xs, p)
			if math.IsNaN(x) {
				return "-"
			}
			return fmt.Sprintf("%.2f ms", x)
		}
		tw.row(sc.name, fmt.Sprintf("%d/%d", st.got, st.expected), q(st.total, 0.5), q(st.total, 0.99), q(st.total, 1),
			q(st.toEvent, 0.5), q(st.eventLine, 0.5), q(st.eventLine, 0.99))
	}
	tw.print()
}

func quantile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	v := append([]float64(nil), xs...)
	sort.Float64s(v)
	i := int(math.Ceil(p*float64(len(v)))) - 1
	return v[max(0, min(i, len(v)-1))]
}

func (h *harness) alertLatency(args []string) (latencyStats, error) {
	st := latencyStats{expected: *alertN}
	stampFile := filepath.Join(h.tmp, "alert-stamps")
	os.Remove(stampFile)
	interval := strconv.FormatInt(alertGap.Microseconds(), 10)
	workload := []string{filepath.Join(h.tools, "ftbench"), "alert", strconv.Itoa(*alertN), interval, stampFile}
	var extra []string
	for _, a := range args {
		switch a {
		case "load":
			workload = append(workload, "load")
		case "spread":
			extra = append(extra, "--cpu-placement", "spread")
		}
	}
	cmd := append(append(append([]string{h.bin, "launch"}, h.falcoArgs...), extra...), "-o", "json_output=true", "--")
	cmd = append(cmd, workload...)
	ctx, cancel := context.WithTimeout(context.Background(), h.timeout)
	defer cancel()
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	var stderr bytes.Buffer
	c.Stderr = &stderr
	pipe, err := c.StdoutPipe()
	if err != nil {
		return st, err
	}
	if err := c.Start(); err != nil {
		return st, err
	}
	type line struct {
		read time.Time
		text string
	}
	var lines []line
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		now := time.Now()
		if strings.Contains(sc.Text(), "/etc/shadow") && isAlertLine(sc.Text()) {
			lines = append(lines, line{now, sc.Text()})
		}
	}
	if err := c.Wait(); err != nil {
		return st, fmt.Errorf("%s: %w (%s)", shortCmd(cmd), err, lastLine(stderr.String()))
	}
	b, err := os.ReadFile(stampFile)
	if err != nil {
		return st, fmt.Errorf("trigger stamps: %w", err)
	}
	var stamps []int64
	for _, f := range strings.Fields(string(b)) {
		ns, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return st, fmt.Errorf("trigger stamps: %w", err)
		}
		stamps = append(stamps, ns)
	}
	// Pair every alert with the latest trigger at or before its event time
	// (alerts carry the event time; a lost alert must not shift the rest).
	st.got = len(lines)
	for _, l := range lines {
		evt, err := alertEventTime(l.text, l.read)
		if err != nil {
			return st, err
		}
		i := sort.Search(len(stamps), func(i int) bool { return stamps[i] > evt.UnixNano() }) - 1
		if i < 0 {
			continue
		}
		trig := time.Unix(0, stamps[i])
		st.total = append(st.total, float64(l.read.Sub(trig))/1e6)
		st.toEvent = append(st.toEvent, float64(evt.Sub(trig))/1e6)
		st.eventLine = append(st.eventLine, float64(l.read.Sub(evt))/1e6)
	}
	return st, nil
}

// alertEventTime extracts the event time of a Falco alert line: JSON "time"
// (RFC 3339 with ns) or the text format's leading local HH:MM:SS.nnnnnnnnn.
func alertEventTime(text string, read time.Time) (time.Time, error) {
	if strings.HasPrefix(text, "{") {
		var a struct {
			Time string `json:"time"`
		}
		if err := json.Unmarshal([]byte(text), &a); err != nil {
			return time.Time{}, fmt.Errorf("alert JSON: %w", err)
		}
		return time.Parse(time.RFC3339Nano, a.Time)
	}
	t, err := time.ParseInLocation("15:04:05.000000000", text[:18], time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("alert time: %w", err)
	}
	y, mo, d := read.Date()
	return time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.Local), nil
}

// ---------------------------------------------------------------- helpers

func pingpongLine(h *harness) string {
	run := func(args ...string) string {
		out, err := exec.Command(filepath.Join(h.tools, "pingpong"), args...).Output()
		if err != nil {
			return "?"
		}
		m := regexp.MustCompile(`ns_per_roundtrip=(\d+)`).FindSubmatch(out)
		if m == nil {
			return "?"
		}
		ns, _ := strconv.ParseFloat(string(m[1]), 64)
		return fmt.Sprintf("%.1f µs", ns/1000)
	}
	return fmt.Sprintf("pipe round trip (pingpong): same vCPU %s, across vCPUs %s", run("100000", "0", "0"), run("100000", "0", "1"))
}

// loadLine shows how busy the shared machine was: the paired ratios absorb
// slow drifts, not bursts.
func loadLine() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average: ?"
	}
	return "load average (1/5/15 min): " + strings.Join(strings.Fields(string(b))[:3], " ")
}

func numCPU() int {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return 0
	}
	n := 0
	for _, part := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, found := strings.Cut(part, "-")
		a, _ := strconv.Atoi(lo)
		if !found {
			n++
			continue
		}
		b, _ := strconv.Atoi(hi)
		n += b - a + 1
	}
	return n
}

func rotate(vs []string, r int) []string {
	out := make([]string, len(vs))
	for i := range vs {
		out[i] = vs[(i+r)%len(vs)]
	}
	if r%2 == 1 { // alternate direction too, so no variant always follows the same one
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

func shortCmd(cmd []string) string {
	s := strings.Join(cmd, " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

type table struct{ rows [][]string }

func newTable(header ...string) *table { return &table{rows: [][]string{header}} }

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) print() {
	width := make([]int, len(t.rows[0]))
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for n, r := range t.rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString("| ")
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", width[i]-len([]rune(c))+1))
		}
		fmt.Println(b.String() + "|")
		if n == 0 {
			var sep strings.Builder
			for i := range r {
				sep.WriteString("|" + strings.Repeat("-", width[i]+2))
			}
			fmt.Println(sep.String() + "|")
		}
	}
}
