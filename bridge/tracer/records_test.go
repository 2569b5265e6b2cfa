package tracer_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/falco-trace/falco-trace/bridge/tracer"
	"golang.org/x/sys/unix"
)

// TestRecordsAtEventStops checks the records the tracer writes at ptrace event
// stops instead of syscall stops: the clone family is not trapped (its enter,
// the child's and the parent's exit come from PTRACE_EVENT_FORK/CLONE), an
// execve's exit comes from PTRACE_EVENT_EXEC and is built from the group's
// cache plus one /proc/<pid>/stat read. A shell loop runs enough fork+exec
// rounds that parent and child share a cache slot at least once (the fallback
// to a full read), a cd in the parent and in a subshell invalidate the cached
// cwd, and every exec record must still carry the right command line,
// environment, cwd and parent. Both with the filter and without it
// (PTRACE_SYSCALL mode, where the syscall-exit stops also arrive).
func TestRecordsAtEventStops(t *testing.T) {
	mustHavePtrace(t)
	tmp := t.TempDir()
	sub := filepath.Join(tmp, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(tmp, "input")
	if err := os.WriteFile(file, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const rounds = 300
	script := "cd " + tmp + "; i=0; while [ $i -lt " + strconv.Itoa(rounds) + " ]; do FT_MARK=loop$i cat input >/dev/null; i=$((i+1)); done; " +
		"(cd sub && FT_MARK=subshell exec cat ../input >/dev/null); cd sub; FT_MARK=after cat ../input >/dev/null"

	for _, mode := range []struct {
		name     string
		noFilter bool
	}{{"seccomp filter", false}, {"no filter", true}} {
		t.Run(mode.name, func(t *testing.T) {
			var prog []unix.SockFilter
			if !mode.noFilter {
				var err error
				if prog, err = tracer.DefaultFilter(); err != nil {
					t.Fatal(err)
				}
			}
			c, res, _, err := launchWith(t, []string{"sh", "-c", script}, "evt.type in (clone, vfork, execve, procexit)", prog)
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != 0 {
				t.Fatalf("exit code %d", res.ExitCode)
			}
			checkClean(t, mode.name, c, res)

			evs := c.snapshot()
			shPid := ""
			execByPid := map[string]ev{}
			for _, e := range evs {
				if e.Type == "execve" && e.Dir == "<" && e.Name == "sh" && e.Res == "SUCCESS" {
					shPid = e.PID
				}
				if e.Type == "execve" && e.Dir == "<" && e.Name == "cat" && e.Res == "SUCCESS" {
					execByPid[e.PID] = e
				}
			}
			if shPid == "" {
				t.Fatal("no execve exit of sh")
			}
			// Every child of sh: exactly one parent-side clone exit whose result is the
			// child's pid, and an exec record with the loop's environment and cwd.
			// (dash forks with vfork, and a subshell with fork)
			parentExits := map[string]int{}
			for _, e := range evs {
				if (e.Type == "clone" || e.Type == "vfork") && e.Dir == "<" && e.PID == shPid && e.TID == shPid {
					// the parent's exit starts with "res=PID(comm)"
					res, _, _ := strings.Cut(strings.TrimPrefix(e.Args, "res="), " ")
					child, _, _ := strings.Cut(res, "(")
					if n, err := strconv.Atoi(child); err != nil || n <= 0 {
						t.Errorf("parent's %s exit with res=%q, want the child's pid (tid %s)", e.Type, res, e.TID)
						continue
					}
					parentExits[child]++
				}
			}
			loops := 0
			for pid, e := range execByPid {
				// (the root shell itself never execs cat here, but be exact if it did)
				if pid != shPid && parentExits[pid] != 1 {
					t.Errorf("child %s: %d parent-side clone exits, want 1", pid, parentExits[pid])
				}
				switch {
				case strings.Contains(e.Args, "FT_MARK=loop"):
					loops++
					if e.Cmdline != "cat input" || e.Cwd != tmp+"/" || e.PName != "sh" || e.ExePath == "" {
						t.Errorf("loop exec record: %v", e)
					}
				case strings.Contains(e.Args, "FT_MARK=subshell"):
					if e.Cmdline != "cat ../input" || e.Cwd != sub+"/" {
						t.Errorf("subshell exec record (cd in the child before exec): %v", e)
					}
				case strings.Contains(e.Args, "FT_MARK=after"):
					if e.Cmdline != "cat ../input" || e.Cwd != sub+"/" || e.PName != "sh" {
						t.Errorf("exec record after cd in the parent: %v", e)
					}
				default:
					t.Errorf("exec record without the FT_MARK environment: %v", e)
				}
			}
			if loops != rounds {
				t.Errorf("%d loop exec records, want %d", loops, rounds)
			}
			if len(execByPid) != rounds+2 {
				t.Errorf("%d cat exec records, want %d", len(execByPid), rounds+2)
			}
			if t.Failed() {
				c.dump(t)
			}
		})
	}
}

// TestCloseResults: close is recorded at its entry stop (the exit stop is
// skipped), so its result comes from asking the kernel whether the descriptor
// is open: 0 for an open one (and sinsp names it), EBADF for a closed one.
func TestCloseResults(t *testing.T) {
	mustHavePtrace(t)
	file := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(file, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prog, err := tracer.DefaultFilter()
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		name string
		prog []unix.SockFilter
	}{{"seccomp filter", prog}, {"no filter", nil}} {
		t.Run(mode.name, func(t *testing.T) {
			c, res, _, err := launchWith(t, []string{"sh", "-c", "exec 7<" + file + "; exec 7<&-; exec 7<&-; exec 8<" + file}, "evt.type=close", mode.prog)
			if err != nil || res.ExitCode != 0 {
				t.Fatalf("run: %v, exit %d", err, res.ExitCode)
			}
			checkClean(t, mode.name, c, res)
			for _, w := range []want{
				{Type: "close", Dir: "<", Res: "SUCCESS", FD: file}, // sinsp still names the fd it closes
				{Type: "close", Dir: "<", Res: "EBADF"},             // the second close of 7
				{Type: "close", Dir: ">", ArgsHas: "fd=7"},
			} {
				if _, ok := c.find(w); !ok {
					t.Errorf("no event matching %+v", w)
				}
			}
			if t.Failed() {
				c.dump(t)
			}
		})
	}
}
