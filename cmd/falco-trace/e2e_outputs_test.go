package main

// End-to-end tests of alerts and output channels: a real workload reads
// /etc/shadow under `falco-trace launch`, and the alert must arrive, in
// Falco's exact shape, on stdout, in a file, through the tail forwarder, in a
// program, at an HTTP endpoint and at a gRPC client (falcosecurity/client-go);
// with thousands of alerts every channel must receive every one.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falcosecurity/client-go/pkg/api/outputs"
	"github.com/falcosecurity/client-go/pkg/api/schema"
	"github.com/falcosecurity/client-go/pkg/api/version"
	"github.com/falcosecurity/client-go/pkg/client"

	"github.com/falco-trace/falco-trace/falco/sharedrules"
)

// e2eShadowWorkload is the reproduction.
var e2eShadowWorkload = []string{"sh", "-c", "cat /etc/shadow > /dev/null"}

// e2eCheckTextTime checks that a text alert's HH:MM:SS is local time now
// (Falco's %evt.time), within a minute.
func e2eCheckTextTime(t *testing.T, line string) {
	t.Helper()
	m := e2eTextAlertRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("not a Falco text alert: %q", line)
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	s, _ := strconv.Atoi(m[3])
	now := time.Now()
	at := time.Date(now.Year(), now.Month(), now.Day(), h, mi, s, 0, time.Local)
	if d := now.Sub(at); d < -time.Minute || d > time.Minute {
		// Across midnight the date is yesterday's.
		if d2 := now.Sub(at.AddDate(0, 0, -1)); d2 < -time.Minute || d2 > time.Minute {
			t.Errorf("alert time %s:%s:%s is not the local time now (%s): %q", m[1], m[2], m[3], now.Format("15:04:05"), line)
		}
	}
}

// TestE2EUpstreamShadowAlertText: Falco 0.31.1's rules raise "Read sensitive
// file untrusted" for `cat /etc/shadow`, as one Falco text line on stdout
// followed by the summary.
func TestE2EUpstreamShadowAlertText(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	rules := sharedrules.Path(t, "falco-0.31.1", "falco_rules.yaml")
	res := e2eRun(t, env, append([]string{"launch", "-r", rules, "--"}, e2eShadowWorkload...)...)
	e2eWantExit(t, res, 0)
	alerts := e2eTextAlerts(res.stdout)
	if len(alerts) != 1 {
		t.Fatalf("want 1 alert line, got %d\n%s", len(alerts), res)
	}
	want := regexp.MustCompile(`^\d{2}:\d{2}:\d{2}\.\d{9}: Warning Sensitive file opened for reading by non-trusted program ` +
		`\(user=root user_loginuid=-?\d+ program=cat command=cat /etc/shadow file=/etc/shadow parent=sh gparent=\S+ ggparent=\S+ gggparent=\S+ container_id=\S+ image=\S+\)$`)
	if !want.MatchString(alerts[0]) {
		t.Errorf("alert line\n%s\ndoes not match\n%s", alerts[0], want)
	}
	e2eCheckTextTime(t, alerts[0])
	wantSummary := "Events detected: 1\nRule counts by severity:\n   WARNING: 1\nTriggered rules by rule name:\n   Read sensitive file untrusted: 1\n"
	if !strings.HasSuffix(res.stdout, wantSummary) {
		t.Errorf("stdout does not end with the summary %q\n%s", wantSummary, res)
	}
	if !strings.Contains(res.stderr, "Syscall event drop monitoring:\n   - event drop detected: 0 occurrences\n") {
		t.Errorf("stderr lacks the drop summary\n%s", res)
	}
}

// e2eCheckJSONAlert checks the shape of one Falco JSON alert: the 0.31.1
// keys plus hostname (0.33), sorted, output_fields appended the way Falco
// does, time in UTC with nanoseconds, evt.time in integer nanoseconds.
func e2eCheckJSONAlert(t *testing.T, a e2eJSONAlert, rule, priority, textRE string) {
	t.Helper()
	var keys []string
	for k := range a.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got, want := strings.Join(keys, ","), "hostname,output,output_fields,priority,rule,source,tags,time"; got != want {
		t.Errorf("JSON keys %s, want %s\n%s", got, want, a.Raw)
	}
	if !strings.HasPrefix(a.Raw, `{"hostname":"`) || !strings.Contains(a.Raw, `Z", "output_fields": {`) || !strings.HasSuffix(a.Raw, "}}") {
		t.Errorf("not Falco's JSON layout (sorted FastWriter object, then `, \"output_fields\": {...}}`):\n%s", a.Raw)
	}
	if got := a.Str("rule"); got != rule {
		t.Errorf("rule %q, want %q", got, rule)
	}
	if got := a.Str("priority"); got != priority {
		t.Errorf("priority %q, want %q", got, priority)
	}
	if got := a.Str("source"); got != "syscall" {
		t.Errorf("source %q, want syscall", got)
	}
	host, _ := os.Hostname()
	if got := a.Str("hostname"); got != host {
		t.Errorf("hostname %q, want %q", got, host)
	}
	var tags []string
	if err := json.Unmarshal(a.Fields["tags"], &tags); err != nil || len(tags) == 0 || !sort.StringsAreSorted(tags) {
		t.Errorf("tags %s: want a sorted non-empty list of strings", a.Fields["tags"])
	}
	output := a.Str("output")
	if !regexp.MustCompile(textRE).MatchString(output) {
		t.Errorf("output %q does not match %s", output, textRE)
	}
	e2eCheckTextTime(t, output)
	alertTime, err := time.Parse(time.RFC3339Nano, a.Str("time"))
	if err != nil || !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$`).MatchString(a.Str("time")) {
		t.Errorf("time %q: want UTC YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ", a.Str("time"))
	}
	// The text line's local time and the JSON time are the same instant.
	if local := alertTime.Local().Format("15:04:05.000000000"); !strings.HasPrefix(output, local+": ") {
		t.Errorf("output starts %q, want the local form %q of time %s", output[:min(len(output), 20)], local, a.Str("time"))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(a.Fields["output_fields"], &fields); err != nil || len(fields) == 0 {
		t.Fatalf("output_fields %s: want a non-empty object", a.Fields["output_fields"])
	}
	var evtTime int64
	if raw, ok := fields["evt.time"]; !ok || json.Unmarshal(raw, &evtTime) != nil || evtTime != alertTime.UnixNano() {
		t.Errorf("output_fields evt.time %s, want the integer %d (ns of time)", fields["evt.time"], alertTime.UnixNano())
	}
	if string(fields["fd.name"]) != `"/etc/shadow"` || string(fields["proc.name"]) != `"cat"` {
		t.Errorf("output_fields fd.name=%s proc.name=%s, want \"/etc/shadow\" and \"cat\"", fields["fd.name"], fields["proc.name"])
	}
}

// TestE2EUpstreamShadowAlertJSON: the same alert with -o json_output=true.
func TestE2EUpstreamShadowAlertJSON(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	rules := sharedrules.Path(t, "falco-0.31.1", "falco_rules.yaml")
	res := e2eRun(t, env, append([]string{"launch", "-r", rules, "-o", "json_output=true", "--"}, e2eShadowWorkload...)...)
	e2eWantExit(t, res, 0)
	alerts := e2eJSONAlerts(t, res.stdout)
	if len(alerts) != 1 {
		t.Fatalf("want 1 JSON alert, got %d\n%s", len(alerts), res)
	}
	e2eCheckJSONAlert(t, alerts[0], "Read sensitive file untrusted", "Warning",
		`^\S+: Warning Sensitive file opened for reading by non-trusted program \(user=root .*program=cat command=cat /etc/shadow file=/etc/shadow parent=sh .*\)$`)
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(alerts[0].Fields["output_fields"], &fields)
	for _, k := range []string{"user.name", "user.loginuid", "proc.cmdline", "proc.pname", "proc.aname[2]", "container.id", "container.image.repository"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("output_fields lacks %s: %s", k, alerts[0].Fields["output_fields"])
		}
	}
	// On a host (not in a container) the image is a missing value: null.
	if string(fields["container.id"]) == `"host"` && string(fields["container.image.repository"]) != "null" {
		t.Errorf("output_fields container.image.repository = %s, want null (missing value)", fields["container.image.repository"])
	}
	if e2eEventsDetected(t, res) != 1 {
		t.Errorf("summary count is not 1\n%s", res)
	}
}

// TestE2EDefaultRulesShadowAlert: the built-in rules (no -r) raise "Read of
// shadow password file", in text and JSON.
func TestE2EDefaultRulesShadowAlert(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	const textRE = `^\d{2}:\d{2}:\d{2}\.\d{9}: Warning Shadow password file opened for reading \(file=/etc/shadow proc=cat cmdline=cat /etc/shadow parent=sh user=root .*\)$`
	t.Run("text", func(t *testing.T) {
		res := e2eRun(t, env, append([]string{"launch", "--"}, e2eShadowWorkload...)...)
		e2eWantExit(t, res, 0)
		alerts := e2eTextAlerts(res.stdout)
		if len(alerts) != 1 || !regexp.MustCompile(textRE).MatchString(alerts[0]) {
			t.Fatalf("want one line matching %s\n%s", textRE, res)
		}
		if !strings.Contains(res.stdout, "Triggered rules by rule name:\n   Read of shadow password file: 1\n") {
			t.Errorf("summary does not name the rule\n%s", res)
		}
	})
	t.Run("json", func(t *testing.T) {
		res := e2eRun(t, env, append([]string{"launch", "-o", "json_output=true", "--"}, e2eShadowWorkload...)...)
		e2eWantExit(t, res, 0)
		alerts := e2eJSONAlerts(t, res.stdout)
		if len(alerts) != 1 {
			t.Fatalf("want 1 JSON alert, got %d\n%s", len(alerts), res)
		}
		e2eCheckJSONAlert(t, alerts[0], "Read of shadow password file", "Warning", textRE)
	})
}

// TestE2EFileOutput: the alert is appended to file_output.filename, with
// and without keep_alive, in addition to stdout.
func TestE2EFileOutput(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	for _, keepAlive := range []string{"false", "true"} {
		t.Run("keep_alive="+keepAlive, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "events.txt")
			// An existing line must be kept: the output appends.
			if err := os.WriteFile(file, []byte("previous line\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			res := e2eRun(t, env, append([]string{"launch", "-r", e2eShadowRules, "-o", "file_output.enabled=true",
				"-o", "file_output.filename=" + file, "-o", "file_output.keep_alive=" + keepAlive, "--"}, e2eShadowWorkload...)...)
			e2eWantExit(t, res, 0)
			stdoutAlerts := e2eTextAlerts(res.stdout)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(lines) != 2 || lines[0] != "previous line" || len(stdoutAlerts) != 1 || lines[1] != stdoutAlerts[0] {
				t.Fatalf("file %q, want the previous line and the stdout alert %q\n%s", data, stdoutAlerts, res)
			}
			if !strings.Contains(lines[1], ": Warning shadow opened (proc=cat file=/etc/shadow)") {
				t.Errorf("file alert %q", lines[1])
			}
		})
	}
}

// TestE2ETailFile: --tail-file writes the alerts to the file and copies
// them to stdout, each exactly once, in order.
func TestE2ETailFile(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	const opens = 300
	file := filepath.Join(t.TempDir(), "falco.log")
	// What the file held before the run is not replayed (tail -F -n0).
	const previous = "00:00:00.000000000: Warning an alert of an earlier run"
	if err := os.WriteFile(file, []byte(previous+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := e2eRun(t, env, "launch", "-r", e2eShadowRules, "--tail-file", file, "--", env.openLoop, strconv.Itoa(opens))
	e2eWantExit(t, res, 0)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.stdout, previous) {
		t.Errorf("the file's earlier content was copied to stdout\n%s", res)
	}
	inFile := e2eTextAlerts(strings.TrimPrefix(string(data), previous+"\n"))
	onStdout := e2eTextAlerts(res.stdout)
	if len(inFile) != opens || len(onStdout) != opens {
		t.Fatalf("%d alerts in the file and %d on stdout, want %d each\n%s", len(inFile), len(onStdout), opens, res)
	}
	for i := range inFile {
		if inFile[i] != onStdout[i] {
			t.Fatalf("line %d differs: file %q, stdout %q", i, inFile[i], onStdout[i])
		}
	}
	if strings.Contains(res.stderr, "appear twice") {
		t.Errorf("--tail-file warned about duplicates\n%s", res)
	}
	if e2eEventsDetected(t, res) != opens {
		t.Errorf("summary count differs from %d\n%s", opens, res)
	}
}

// TestE2EProgramOutput: the alert is piped to program_output.program, with
// one process per alert (keep_alive false) or one for all (true).
func TestE2EProgramOutput(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	for _, tc := range []struct {
		keepAlive string
		opens     int
		// wantStarts is how many times the program runs.
		wantStarts int
	}{
		{"false", 3, 3},
		{"true", 50, 1},
	} {
		t.Run("keep_alive="+tc.keepAlive, func(t *testing.T) {
			dir := t.TempDir()
			out, starts := filepath.Join(dir, "program.out"), filepath.Join(dir, "starts")
			program := "echo started >> " + starts + "; cat >> " + out
			res := e2eRun(t, env, "launch", "-r", e2eShadowRules, "-o", "json_output=true",
				"-o", "program_output.enabled=true", "-o", "program_output.keep_alive="+tc.keepAlive,
				"-o", "program_output.program="+program, "--", env.openLoop, strconv.Itoa(tc.opens))
			e2eWantExit(t, res, 0)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("program output: %v\n%s", err, res)
			}
			got := e2eJSONAlerts(t, string(data))
			if len(got) != tc.opens {
				t.Fatalf("program received %d alerts, want %d\n%s", len(got), tc.opens, res)
			}
			stdoutAlerts := e2eJSONAlerts(t, res.stdout)
			for i := range got {
				if i >= len(stdoutAlerts) || got[i].Raw != stdoutAlerts[i].Raw {
					t.Fatalf("program line %d %q differs from stdout", i, got[i].Raw)
				}
			}
			if n := e2eCountLines(t, starts, "started"); n != tc.wantStarts {
				t.Errorf("program started %d times, want %d", n, tc.wantStarts)
			}
		})
	}
}

// e2eHTTPRequest is one request the test server received.
type e2eHTTPRequest struct {
	Method, Path, ContentType, UserAgent string
	Body                                 []byte
}

// e2eHTTPServer records every request.
type e2eHTTPServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []e2eHTTPRequest
}

func e2eNewHTTPServer(t *testing.T) *e2eHTTPServer {
	s := &e2eHTTPServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.requests = append(s.requests, e2eHTTPRequest{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.UserAgent(), body})
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *e2eHTTPServer) received() []e2eHTTPRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]e2eHTTPRequest(nil), s.requests...)
}

// TestE2EHTTPOutput: with json_output the alert is POSTed as what
// falcosidekick requires (application/json; priority, rule, time,
// output_fields); without it as Falco's text line in text/plain.
func TestE2EHTTPOutput(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	t.Run("json", func(t *testing.T) {
		srv := e2eNewHTTPServer(t)
		res := e2eRun(t, env, append([]string{"launch", "-r", e2eShadowRules, "-o", "json_output=true",
			"-o", "http_output.enabled=true", "-o", "http_output.url=" + srv.URL + "/falco"}, append([]string{"--"}, e2eShadowWorkload...)...)...)
		e2eWantExit(t, res, 0)
		reqs := srv.received()
		if len(reqs) != 1 {
			t.Fatalf("server received %d requests, want 1\n%s", len(reqs), res)
		}
		r := reqs[0]
		if r.Method != http.MethodPost || r.Path != "/falco" || r.ContentType != "application/json" || r.UserAgent != "falcosecurity/falco" {
			t.Errorf("request %s %s, Content-Type %q, User-Agent %q; want POST /falco application/json falcosecurity/falco",
				r.Method, r.Path, r.ContentType, r.UserAgent)
		}
		// falcosidekick's types.FalcoPayload.Check: priority, rule, time
		// set and output_fields not empty.
		var payload struct {
			Output       string         `json:"output"`
			Priority     string         `json:"priority"`
			Rule         string         `json:"rule"`
			Time         time.Time      `json:"time"`
			OutputFields map[string]any `json:"output_fields"`
			Source       string         `json:"source"`
			Tags         []string       `json:"tags"`
			Hostname     string         `json:"hostname"`
		}
		if err := json.Unmarshal(r.Body, &payload); err != nil {
			t.Fatalf("body is not a Falco JSON payload: %v\n%s", err, r.Body)
		}
		if payload.Priority != "Warning" || payload.Rule != e2eShadowRule || payload.Time.IsZero() || len(payload.OutputFields) == 0 {
			t.Errorf("payload fails falcosidekick's check (priority, rule, time, output_fields): %s", r.Body)
		}
		if payload.OutputFields["fd.name"] != "/etc/shadow" {
			t.Errorf("output_fields %v, want fd.name=/etc/shadow", payload.OutputFields)
		}
		stdoutAlerts := e2eJSONAlerts(t, res.stdout)
		if len(stdoutAlerts) != 1 || stdoutAlerts[0].Raw != string(r.Body) {
			t.Errorf("HTTP body differs from the stdout alert:\nbody   %s\nstdout %v", r.Body, stdoutAlerts)
		}
	})
	t.Run("text", func(t *testing.T) {
		srv := e2eNewHTTPServer(t)
		res := e2eRun(t, env, append([]string{"launch", "-r", e2eShadowRules, "-o", "http_output.enabled=true",
			"-o", "http_output.url=" + srv.URL, "-o", "http_output.user_agent=e2e-agent/1.0", "--"}, e2eShadowWorkload...)...)
		e2eWantExit(t, res, 0)
		reqs := srv.received()
		stdoutAlerts := e2eTextAlerts(res.stdout)
		if len(reqs) != 1 || len(stdoutAlerts) != 1 {
			t.Fatalf("server received %d requests, stdout %d alerts, want 1 each\n%s", len(reqs), len(stdoutAlerts), res)
		}
		r := reqs[0]
		if r.Method != http.MethodPost || r.ContentType != "text/plain" || r.UserAgent != "e2e-agent/1.0" {
			t.Errorf("request %s, Content-Type %q, User-Agent %q; want POST text/plain e2e-agent/1.0", r.Method, r.ContentType, r.UserAgent)
		}
		if string(r.Body) != stdoutAlerts[0] {
			t.Errorf("body %q, want the text line %q", r.Body, stdoutAlerts[0])
		}
	})
}

// TestE2EDeadHTTPEndpoint: an HTTP endpoint refusing connections costs
// only its own alerts: stdout gets every alert, the run ends with the
// workload's status, and the undelivered alerts are reported on stderr.
func TestE2EDeadHTTPEndpoint(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	res := e2eRun(t, env, "launch", "-r", e2eShadowRules, "-o", "http_output.enabled=true", "-o", "http_output.url="+url,
		"--", "sh", "-c", `"$0" 2; exit 5`, env.openLoop)
	e2eWantExit(t, res, 5)
	if n := len(e2eTextAlerts(res.stdout)); n != 2 {
		t.Errorf("stdout has %d alerts, want 2\n%s", n, res)
	}
	if !regexp.MustCompile(`level=warning msg="alerts not delivered" .*failed=2 .*output=http`).MatchString(res.stderr) {
		t.Errorf("stderr does not report the 2 undelivered HTTP alerts\n%s", res)
	}
}

// TestE2EInternalDropAlert: Falco's internal drop notification
// (syscall_event_drops with simulate_drops) goes through the same outputs
// as rule alerts, in Falco's shape for internal messages: rule and output
// are the message, priority Debug, output_fields as strings.
func TestE2EInternalDropAlert(t *testing.T) {
	env := e2eSetup(t)
	file := filepath.Join(t.TempDir(), "events.txt")
	// Drops are judged once per second: the workload runs a little longer.
	res := e2eRun(t, env, "launch", "-r", e2eShadowRules, "-o", "json_output=true", "-o", "syscall_event_drops.simulate_drops=true",
		"-o", "file_output.enabled=true", "-o", "file_output.filename="+file,
		"--", "sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do ls / > /dev/null; sleep 0.1; done")
	e2eWantExit(t, res, 0)
	alerts := e2eJSONAlerts(t, res.stdout)
	if len(alerts) != 1 {
		t.Fatalf("want 1 internal alert (actions log and alert, at most one per 30 s), got %d\n%s", len(alerts), res)
	}
	a := alerts[0]
	var keys []string
	for k := range a.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "hostname,output,output_fields,priority,rule,time" {
		t.Errorf("internal alert keys %s\n%s", got, a.Raw)
	}
	if a.Str("rule") != "Falco internal: syscall event drop" || a.Str("priority") != "Debug" ||
		!regexp.MustCompile(`^Falco internal: syscall event drop\. \d+ system calls dropped in last second\.$`).MatchString(a.Str("output")) {
		t.Errorf("internal alert rule %q priority %q output %q", a.Str("rule"), a.Str("priority"), a.Str("output"))
	}
	var fields map[string]string
	if err := json.Unmarshal(a.Fields["output_fields"], &fields); err != nil || fields["ebpf_enabled"] != "0" || fields["n_drops"] == "" || fields["n_evts"] == "" {
		t.Errorf("output_fields %s: want string values with ebpf_enabled 0, n_drops, n_evts (%v)", a.Fields["output_fields"], err)
	}
	if n := e2eCountLines(t, file, a.Raw+"\n"); n != 1 {
		t.Errorf("the file output has the internal alert %d times, want 1", n)
	}
	if !strings.Contains(res.stderr, `level=warning msg="Falco internal: syscall event drop.`) {
		t.Errorf("the log action did not log\n%s", res)
	}
	if !regexp.MustCompile(`- event drop detected: [1-9]\d* occurrences\n   - num times actions taken: 1\n`).MatchString(res.stderr) {
		t.Errorf("drop summary does not count the simulated drops and the one action\n%s", res)
	}
	if e2eEventsDetected(t, res) != 0 {
		t.Errorf("internal alerts are not rule alerts: the summary must count 0\n%s", res)
	}
}

// e2eGRPCClient connects client-go v0.6.1 to a unix socket.
func e2eGRPCClient(t *testing.T, socket string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.NewForConfig(ctx, &client.Config{UnixSocketPath: "unix://" + socket})
	if err != nil {
		t.Fatalf("client-go: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// e2eCheckGRPCResponse checks a gRPC alert against Falco's outputs.Response.
func e2eCheckGRPCResponse(t *testing.T, res *outputs.Response) {
	t.Helper()
	host, _ := os.Hostname()
	if res.GetRule() != e2eShadowRule || res.GetPriority() != schema.Priority_WARNING || res.GetSource() != "syscall" || res.GetHostname() != host {
		t.Errorf("response rule %q priority %v source %q hostname %q; want %q WARNING syscall %q",
			res.GetRule(), res.GetPriority(), res.GetSource(), res.GetHostname(), e2eShadowRule, host)
	}
	if !strings.Contains(res.GetOutput(), "Warning shadow opened (proc=cat file=/etc/shadow)") {
		t.Errorf("output %q", res.GetOutput())
	}
	if d := time.Since(res.GetTime().AsTime()); d < 0 || d > time.Minute {
		t.Errorf("time %v is not now", res.GetTime().AsTime())
	}
	if f := res.GetOutputFields(); f["fd.name"] != "/etc/shadow" || f["proc.name"] != "cat" {
		t.Errorf("output_fields %v, want fd.name=/etc/shadow proc.name=cat", f)
	}
	if tags := res.GetTags(); strings.Join(tags, ",") != "e2e,filesystem" {
		t.Errorf("tags %v", tags)
	}
}

// TestE2EGRPCOutput: a falcosecurity/client-go v0.6.1 client receives the
// alert over a unix socket, with `get` (the alerts queued so far) and with
// `sub` (a stream). The workload waits for the test's go-ahead, so the
// client is connected before the alert exists.
func TestE2EGRPCOutput(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	start := func(t *testing.T) (socket, gate string, p *e2eProcess) {
		dir := t.TempDir()
		socket, gate = filepath.Join(dir, "falco.sock"), filepath.Join(dir, "go")
		p = e2eStart(t, env, append([]string{"launch", "-r", e2eShadowRules, "-o", "grpc.enabled=true",
			"-o", "grpc.bind_address=unix://" + socket, "-o", "grpc_output.enabled=true", "--"}, e2eGated(gate, e2eShadowWorkload...)...)...)
		e2eWaitFor(t, "the gRPC socket", 20*time.Second, func() bool {
			_, err := os.Stat(socket)
			return err == nil
		})
		return socket, gate, p
	}

	t.Run("get", func(t *testing.T) {
		socket, gate, p := start(t)
		c := e2eGRPCClient(t, socket)
		vc, err := c.Version()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		v, err := vc.Version(ctx, &version.Request{})
		if err != nil || v.GetVersion() == "" {
			t.Fatalf("version service: %v %v", v, err)
		}
		oc, err := c.Outputs()
		if err != nil {
			t.Fatal(err)
		}
		e2eTouch(t, gate)
		// `get` returns what is queued now: poll until the alert is there.
		var got []*outputs.Response
		e2eWaitFor(t, "the alert from get", 20*time.Second, func() bool {
			stream, err := oc.Get(ctx, &outputs.Request{})
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			for {
				res, err := stream.Recv()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("get: recv: %v", err)
				}
				got = append(got, res)
			}
			return len(got) > 0
		})
		res := p.wait(t)
		e2eWantExit(t, res, 0)
		if len(got) != 1 {
			t.Fatalf("get returned %d alerts, want 1", len(got))
		}
		e2eCheckGRPCResponse(t, got[0])
		if _, err := os.Stat(socket); err == nil {
			t.Errorf("socket %s left behind", socket)
		}
	})

	t.Run("sub", func(t *testing.T) {
		socket, gate, p := start(t)
		c := e2eGRPCClient(t, socket)
		oc, err := c.Outputs()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		stream, err := oc.Sub(ctx)
		if err != nil {
			t.Fatalf("sub: %v", err)
		}
		// A first request opens the stream before the workload goes ahead
		// (a stream is not safe for concurrent sends: before the watcher).
		if err := stream.Send(&outputs.Request{}); err != nil {
			t.Fatalf("sub: send: %v", err)
		}
		var got []*outputs.Response
		done := make(chan error, 1)
		go func() {
			done <- client.OutputsWatch(ctx, stream, func(res *outputs.Response) error {
				got = append(got, res)
				return nil
			}, 100*time.Millisecond)
		}()
		e2eTouch(t, gate)
		res := p.wait(t)
		e2eWantExit(t, res, 0)
		// The stream ends when falco-trace stops its server.
		if err := <-done; err != nil {
			t.Fatalf("sub stream ended with %v\n%s", err, res)
		}
		if len(got) != 1 {
			t.Fatalf("sub received %d alerts, want 1\n%s", len(got), res)
		}
		e2eCheckGRPCResponse(t, got[0])
	})
}

// e2eSubCounter counts the alerts of a gRPC `sub` stream until it ends.
type e2eSubCounter struct {
	mu    sync.Mutex
	count int
	done  chan error
}

func e2eSubscribe(t *testing.T, socket string) *e2eSubCounter {
	t.Helper()
	c := e2eGRPCClient(t, socket)
	oc, err := c.Outputs()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eRunTimeout)
	t.Cleanup(cancel)
	stream, err := oc.Sub(ctx)
	if err != nil {
		t.Fatalf("sub: %v", err)
	}
	if err := stream.Send(&outputs.Request{}); err != nil {
		t.Fatalf("sub: send: %v", err)
	}
	s := &e2eSubCounter{done: make(chan error, 1)}
	go func() {
		s.done <- client.OutputsWatch(ctx, stream, func(*outputs.Response) error {
			s.mu.Lock()
			s.count++
			s.mu.Unlock()
			return nil
		}, time.Second)
	}()
	return s
}

// TestE2EAlertCountsAcrossOutputs: a workload opening /etc/shadow
// thousands of times and exiting right after the last open: with the
// built-in configuration (no rate limit, see TestE2ERateLimit) stdout, file,
// program, HTTP, a gRPC subscriber and the summary all count exactly one
// alert per open.
func TestE2EAlertCountsAcrossOutputs(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	const opens = 5000
	dir := t.TempDir()
	file, programOut, socket := filepath.Join(dir, "events.txt"), filepath.Join(dir, "program.out"), filepath.Join(dir, "falco.sock")
	gate := filepath.Join(dir, "go")
	srv := e2eNewHTTPServer(t)
	p := e2eStart(t, env, append([]string{"launch", "-r", e2eShadowRules, "-o", "json_output=true",
		"-o", "file_output.enabled=true", "-o", "file_output.filename=" + file,
		"-o", "program_output.enabled=true", "-o", "program_output.keep_alive=true", "-o", "program_output.program=cat >> " + programOut,
		"-o", "http_output.enabled=true", "-o", "http_output.url=" + srv.URL,
		"-o", "grpc.enabled=true", "-o", "grpc.bind_address=unix://" + socket, "-o", "grpc_output.enabled=true",
		"--"}, e2eGated(gate, env.openLoop, strconv.Itoa(opens))...)...)
	e2eWaitFor(t, "the gRPC socket", 20*time.Second, func() bool {
		_, err := os.Stat(socket)
		return err == nil
	})
	sub := e2eSubscribe(t, socket)
	e2eTouch(t, gate)
	res := p.wait(t)
	e2eWantExit(t, res, 0)
	if err := <-sub.done; err != nil {
		t.Errorf("sub stream: %v", err)
	}
	counts := map[string]int{
		"stdout":  len(e2eJSONAlerts(t, res.stdout)),
		"file":    e2eCountLines(t, file, `"rule":"`+e2eShadowRule+`"`),
		"program": e2eCountLines(t, programOut, `"rule":"`+e2eShadowRule+`"`),
		"http":    len(srv.received()),
		"summary": e2eEventsDetected(t, res),
	}
	sub.mu.Lock()
	counts["grpc sub"] = sub.count
	sub.mu.Unlock()
	for name, n := range counts {
		if n != opens {
			t.Errorf("%s: %d alerts, want %d (one per open)", name, n, opens)
		}
	}
	if t.Failed() {
		t.Logf("counts %v\n%s", counts, res)
	}
}

// TestE2ERateLimit documents the token bucket in front of the outputs
// (outputs.rate, outputs.max_burst). The built-in configuration has none
// (max_burst 0): every alert reaches the outputs. Falco's values (rate 1/s,
// max_burst 1000), given with -o or by a configuration file that does not
// set outputs (Falco's code defaults), drop the alerts beyond the burst
// before every output, while the summary still counts every rule match;
// falco-trace then says so once on stderr.
func TestE2ERateLimit(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	const opens = 1500
	noOutputsKey := filepath.Join(t.TempDir(), "falco.yaml")
	if err := os.WriteFile(noOutputsKey, []byte("stdout_output:\n  enabled: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		limited bool
	}{
		{"built-in configuration", nil, false},
		{"max_burst 0", []string{"-o", "outputs.rate=1", "-o", "outputs.max_burst=0"}, false},
		{"Falco's rate and burst", []string{"-o", "outputs.rate=1", "-o", "outputs.max_burst=1000"}, true},
		{"config file without outputs", []string{"-c", noOutputsKey}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "events.txt")
			args := append([]string{"launch", "-r", e2eShadowRules}, tc.args...)
			args = append(args, "-o", "file_output.enabled=true", "-o", "file_output.filename="+file, "--", env.openLoop, strconv.Itoa(opens))
			started := time.Now()
			res := e2eRun(t, env, args...)
			elapsed := time.Since(started)
			e2eWantExit(t, res, 0)
			onStdout, inFile := len(e2eTextAlerts(res.stdout)), e2eCountLines(t, file, "shadow opened")
			if n := e2eEventsDetected(t, res); n != opens {
				t.Errorf("summary counts %d, want every match (%d)", n, opens)
			}
			const warning = "alerts dropped by the outputs rate limiter"
			if !tc.limited {
				if onStdout != opens || inFile != opens || strings.Contains(res.stderr, warning) {
					t.Errorf("stdout %d, file %d alerts, want %d each and no rate limiter warning\n%s", onStdout, inFile, opens, res)
				}
				return
			}
			// 1000 tokens at start plus 1 per second of the run.
			maxAllowed := 1000 + int(elapsed.Seconds()) + 1
			if onStdout < 1000 || onStdout > maxAllowed || inFile != onStdout {
				t.Errorf("stdout %d, file %d alerts; want the same number in [1000, %d]\n%s", onStdout, inFile, maxAllowed, res)
			}
			// The loss is not silent: one warning with the count.
			if want := "rate_limited=" + strconv.Itoa(opens-onStdout); !strings.Contains(res.stderr, warning) || !strings.Contains(res.stderr, want) {
				t.Errorf("stderr lacks the rate limiter warning with %s\n%s", want, res)
			}
			t.Logf("%d of %d alerts delivered in %v", onStdout, opens, elapsed.Round(time.Millisecond))
		})
	}
}

// TestE2EGRPCSlowSubscriber: a `sub` client slower than the workload still
// receives every alert raised before the workload exited: at exit the
// server sends what is still queued before ending the stream, and reports
// what it could not send.
func TestE2EGRPCSlowSubscriber(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	const opens = 1000
	dir := t.TempDir()
	socket, gate := filepath.Join(dir, "falco.sock"), filepath.Join(dir, "go")
	p := e2eStart(t, env, append([]string{"launch", "-r", e2eShadowRules,
		"-o", "grpc.enabled=true", "-o", "grpc.bind_address=unix://" + socket,
		"--"}, e2eGated(gate, env.openLoop, strconv.Itoa(opens))...)...)
	e2eWaitFor(t, "the gRPC socket", 20*time.Second, func() bool {
		_, err := os.Stat(socket)
		return err == nil
	})
	c := e2eGRPCClient(t, socket)
	oc, err := c.Outputs()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eRunTimeout)
	defer cancel()
	stream, err := oc.Sub(ctx)
	if err != nil {
		t.Fatalf("sub: %v", err)
	}
	if err := stream.Send(&outputs.Request{}); err != nil {
		t.Fatalf("sub: send: %v", err)
	}
	received := 0
	done := make(chan error, 1)
	go func() {
		// Not client.OutputsWatch: in client-go v0.6.1 it may return at
		// the stream's end before handing over the last response it has
		// already read (a select between its response and error channels).
		for {
			if _, err := stream.Recv(); err != nil {
				if err == io.EOF {
					err = nil
				}
				done <- err
				return
			}
			received++
			time.Sleep(5 * time.Millisecond) // a subscriber forwarding each alert somewhere
		}
	}()
	e2eTouch(t, gate)
	res := p.wait(t)
	e2eWantExit(t, res, 0)
	if err := <-done; err != nil {
		t.Errorf("sub stream: %v", err)
	}
	if received != opens && !strings.Contains(res.stderr, "not delivered") {
		t.Errorf("the subscriber received %d of %d alerts, and falco-trace reported no loss\n%s", received, opens, res)
	}
}
