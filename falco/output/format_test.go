package output

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/falco-trace/falco-trace/falco/rules"
	"github.com/falco-trace/falco-trace/falco/sharedrules"
)

// catWriteAlerts are the alerts Falco 0.31.1 raised for rule open_from_cat
// on trace_files/cat_write.scap: the inputs of the golden files (event
// timestamps, rendered rule output and its fields as libsinsp gives them).
func catWriteAlerts() []*Alert {
	stamps := []int64{
		1470327477881781397, 1470327477881785348, 1470327477881796705, 1470327477881799840,
		1470327477882003104, 1470327477882008208, 1470327477882045694, 1470327477882054739,
	}
	out := make([]*Alert, len(stamps))
	for i, ns := range stamps {
		out[i] = &Alert{
			Time:     time.Unix(0, ns),
			Rule:     "open_from_cat",
			Priority: rules.Warning,
			Source:   "syscall",
			// As written in the rules file: Falco sorts them.
			Tags:         []string{"testing", "filesystem", "process"},
			Output:       "An open was seen (command=cat /dev/null)",
			OutputFields: map[string]json.RawMessage{"proc.cmdline": json.RawMessage(`"cat /dev/null"`)},
			Hostname:     "falco-host",
		}
	}
	return out
}

func readGoldenLines(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(sharedrules.Path(t, "falco-0.31.1-loader-tests", "output_files", name))
	if err != nil {
		t.Fatalf("opening golden file: %v", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestFormatGoldenCatWrite(t *testing.T) {
	alerts := catWriteAlerts()
	tests := []struct {
		name   string
		golden string
		f      Formatter
	}{
		{"text iso8601", "single_rule_with_cat_write.txt", Formatter{TimeISO8601: true, JSONIncludeOutput: true, JSONIncludeTags: true}},
		// Falco 0.31.1 has no hostname key: compared with it off.
		{"json iso8601", "single_rule_with_cat_write.json", Formatter{JSON: true, TimeISO8601: true, JSONIncludeOutput: true, JSONIncludeTags: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := readGoldenLines(t, tc.golden)
			if len(want) != len(alerts) {
				t.Fatalf("%s: golden has %d lines, fixture %d alerts", tc.name, len(want), len(alerts))
			}
			for i, a := range alerts {
				if got := tc.f.Format(a); got != want[i] {
					t.Errorf("%s line %d:\n got %s\nwant %s", tc.name, i+1, got, want[i])
				}
			}
		})
	}
}

func TestFormatGoldenWithHostname(t *testing.T) {
	// Newer Falco: the same object with "hostname" first (sorted keys).
	want := readGoldenLines(t, "single_rule_with_cat_write.json")[0]
	want = `{"hostname":"falco-host",` + strings.TrimPrefix(want, "{")
	f := DefaultFormatter()
	f.JSON, f.TimeISO8601 = true, true
	if got := f.Format(catWriteAlerts()[0]); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestFormatRuleAlert(t *testing.T) {
	berlin := time.FixedZone("CEST", 2*3600)
	base := &Alert{
		Time:     time.Unix(1470327477, 5).UTC(),
		Rule:     `Shell "quoted" rule`,
		Priority: rules.Informational,
		Source:   "syscall",
		Tags:     []string{"b", "a", "b"},
		Output:   "Shell spawned (user=root dir=/tmp\tx)",
		OutputFields: map[string]json.RawMessage{
			"user.name":      json.RawMessage(`"root"`),
			"proc.pid":       json.RawMessage(`42`),
			"container.id":   nil,
			"proc.aname[2]":  json.RawMessage(`"bash"`),
			"evt.time":       json.RawMessage(`1470327477000000005`),
			"fd.name":        json.RawMessage(`null`),
			"proc.cmdline":   json.RawMessage(`"sh -c \"x\""`),
			"evt.rawtime":    json.RawMessage(`1470327477000000005`),
			"proc.exepath":   json.RawMessage(`"/bin/sh"`),
			"proc.pcmdline":  json.RawMessage(`"init"`),
			"user.loginname": json.RawMessage(`"<NA>"`),
		},
		Hostname: "h<1>",
	}
	noFields := *base
	noFields.OutputFields = nil
	noFields.Tags = nil
	tests := []struct {
		name string
		f    Formatter
		a    *Alert
		want string
	}{
		{
			name: "text local clock",
			f:    Formatter{Location: berlin},
			a:    base,
			want: "18:17:57.000000005: Informational Shell spawned (user=root dir=/tmp\tx)",
		},
		{
			name: "text iso8601 is UTC whatever the zone",
			f:    Formatter{TimeISO8601: true, Location: berlin},
			a:    base,
			want: "2016-08-04T16:17:57.000000005+0000: Informational Shell spawned (user=root dir=/tmp\tx)",
		},
		{
			name: "json all properties, sorted unique tags, time token already present",
			f:    Formatter{JSON: true, JSONIncludeOutput: true, JSONIncludeTags: true, JSONIncludeHostname: true, Location: berlin},
			a:    base,
			want: `{"hostname":"h<1>","output":"18:17:57.000000005: Informational Shell spawned (user=root dir=/tmp\tx)","priority":"Informational","rule":"Shell \"quoted\" rule","source":"syscall","tags":["a","b"],"time":"2016-08-04T16:17:57.000000005Z", "output_fields": {"container.id":null,"evt.rawtime":1470327477000000005,"evt.time":1470327477000000005,"fd.name":null,"proc.aname[2]":"bash","proc.cmdline":"sh -c \"x\"","proc.exepath":"/bin/sh","proc.pcmdline":"init","proc.pid":42,"user.loginname":"<NA>","user.name":"root"}}`,
		},
		{
			name: "json without output, tags, hostname; empty fields still get the time token",
			f:    Formatter{JSON: true, Location: berlin},
			a:    &noFields,
			want: `{"priority":"Informational","rule":"Shell \"quoted\" rule","source":"syscall","time":"2016-08-04T16:17:57.000000005Z", "output_fields": {"evt.time":1470327477000000005}}`,
		},
		{
			name: "json empty tags are []",
			f:    Formatter{JSON: true, JSONIncludeTags: true, TimeISO8601: true},
			a:    &noFields,
			want: `{"priority":"Informational","rule":"Shell \"quoted\" rule","source":"syscall","tags":[],"time":"2016-08-04T16:17:57.000000005Z", "output_fields": {"evt.time.iso8601":1470327477000000005}}`,
		},
	}
	for _, tc := range tests {
		got := tc.f.Format(tc.a)
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
		if tc.f.JSON {
			var v map[string]any
			if err := json.Unmarshal([]byte(got), &v); err != nil {
				t.Errorf("%s: output is not valid JSON: %v", tc.name, err)
			}
		}
	}
}

func TestJSONStringEscaping(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		keepUTF8 bool
		want     string
	}{
		{"plain", "cat /dev/null", false, `"cat /dev/null"`},
		{"no html or slash escaping", "<a>&b/c", false, `"<a>&b/c"`},
		{"named escapes", "q\" b\\ \b\f\n\r\t", false, `"q\" b\\ \b\f\n\r\t"`},
		{"other controls lowercase hex", "\x00\x01\x1f\x7f", false, `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"bmp escaped by jsoncpp", "café", false, `"caf\u00e9"`},
		{"astral as surrogate pair", "😀", false, `"\ud83d\ude00"`},
		{"line separator", "\u2028", false, `"\u2028"`},
		{"utf8 kept by nlohmann mode", "café 😀 \u2028", true, `"café 😀 ` + "\u2028" + `"`},
		{"invalid utf8", "a\xffb", false, `"a\ufffdb"`},
		{"invalid utf8 nlohmann mode", "a\xffb", true, `"a\ufffdb"`},
	}
	for _, tc := range tests {
		var b strings.Builder
		writeJSONString(&b, tc.in, tc.keepUTF8)
		if got := b.String(); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
		var back string
		if err := json.Unmarshal([]byte(b.String()), &back); err != nil {
			t.Errorf("%s: not valid JSON: %v", tc.name, err)
		} else if !strings.Contains(tc.in, "\xff") && back != tc.in {
			t.Errorf("%s: round trip = %q, want %q", tc.name, back, tc.in)
		}
	}
}

func TestFormatInternalAlert(t *testing.T) {
	utc := time.UTC
	ts := time.Unix(1470327477, 881781397)
	fields := map[string]string{
		"n_evts": "1000", "n_drops": "300", "n_drops_buffer": "300", "n_drops_scratch_map": "0",
		"n_drops_pf": "0", "n_drops_bug": "0", "ebpf_enabled": "0",
	}
	drop := NewInternalAlert(ts, "Falco internal: syscall event drop",
		"Falco internal: syscall event drop. 300 system calls dropped in last second.", "host-1", fields)
	timeout := NewInternalAlert(ts, "Falco internal: timeouts notification",
		"Falco internal: timeouts notification. 1000 consecutive timeouts without event.", "", map[string]string{"last_event_time": "none"})
	tests := []struct {
		name string
		f    Formatter
		a    *Alert
		want string
	}{
		{
			name: "drop text, keys sorted, values raw",
			f:    Formatter{Location: utc},
			a:    drop,
			want: "16:17:57.881781397: Debug Falco internal: syscall event drop. 300 system calls dropped in last second. (ebpf_enabled=0 n_drops=300 n_drops_buffer=300 n_drops_bug=0 n_drops_pf=0 n_drops_scratch_map=0 n_evts=1000)",
		},
		{
			name: "drop text ignores iso8601",
			f:    Formatter{Location: utc, TimeISO8601: true},
			a:    drop,
			want: "16:17:57.881781397: Debug Falco internal: syscall event drop. 300 system calls dropped in last second. (ebpf_enabled=0 n_drops=300 n_drops_buffer=300 n_drops_bug=0 n_drops_pf=0 n_drops_scratch_map=0 n_evts=1000)",
		},
		{
			name: "drop json 0.31.1 shape, no source or tags, string values",
			f:    Formatter{JSON: true, JSONIncludeOutput: true, JSONIncludeTags: true},
			a:    drop,
			want: `{"output":"Falco internal: syscall event drop. 300 system calls dropped in last second.","output_fields":{"ebpf_enabled":"0","n_drops":"300","n_drops_buffer":"300","n_drops_bug":"0","n_drops_pf":"0","n_drops_scratch_map":"0","n_evts":"1000"},"priority":"Debug","rule":"Falco internal: syscall event drop","time":"2016-08-04T16:17:57.881781397Z"}`,
		},
		{
			name: "timeout json with hostname",
			f:    Formatter{JSON: true, JSONIncludeHostname: true},
			a:    timeout,
			want: `{"hostname":"","output":"Falco internal: timeouts notification. 1000 consecutive timeouts without event.","output_fields":{"last_event_time":"none"},"priority":"Debug","rule":"Falco internal: timeouts notification","time":"2016-08-04T16:17:57.881781397Z"}`,
		},
	}
	for _, tc := range tests {
		got := tc.f.Format(tc.a)
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
	if drop.Priority != rules.Debug || drop.Source != SourceInternal {
		t.Errorf("internal alert priority/source = %v/%q, want Debug/internal", drop.Priority, drop.Source)
	}
}

func TestTimeHelpers(t *testing.T) {
	ts := time.Unix(0, 1470327477000000123)
	if got, want := Clock(ts, time.FixedZone("X", -5*3600)), "11:17:57.000000123"; got != want {
		t.Errorf("Clock = %q, want %q", got, want)
	}
	if got, want := ISO8601Offset(ts), "2016-08-04T16:17:57.000000123+0000"; got != want {
		t.Errorf("ISO8601Offset = %q, want %q", got, want)
	}
	if got, want := ISO8601Zulu(ts), "2016-08-04T16:17:57.000000123Z"; got != want {
		t.Errorf("ISO8601Zulu = %q, want %q", got, want)
	}
}

func TestRenderIsRenderFunc(t *testing.T) {
	f := Formatter{TimeISO8601: true}
	var render RenderFunc = f.Render
	a := catWriteAlerts()[0]
	if got, want := string(render(a)), "2016-08-04T16:17:57.881781397+0000: Warning An open was seen (command=cat /dev/null)"; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

func TestParseOutputFields(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // re-rendered by a JSON alert's output_fields tail
		wantErr bool
	}{
		{"jsoncpp escapes kept verbatim", `{"fd.name":"/tmp/caf\u00e9","proc.pid":42,"container.id":null}`,
			`{"container.id":null,"evt.time":1000000001,"fd.name":"/tmp/caf\u00e9","proc.pid":42}`, false},
		{"empty", ``, `{"evt.time":1000000001}`, false},
		{"not an object", `[1]`, ``, true},
	}
	for _, tc := range tests {
		m, err := ParseOutputFields([]byte(tc.in))
		if tc.wantErr {
			if err == nil {
				t.Errorf("%s: no error", tc.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		a := &Alert{Time: time.Unix(1, 1), OutputFields: m}
		got := Formatter{JSON: true}.Format(a)
		if i := strings.Index(got, `"output_fields": `); i < 0 || got[i+len(`"output_fields": `):len(got)-1] != tc.want {
			t.Errorf("%s: rendered %s, want output_fields %s", tc.name, got, tc.want)
		}
	}
}
