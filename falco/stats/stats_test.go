package stats

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/falco-trace/falco-trace/falco/rules"
)

func TestSummary(t *testing.T) {
	type alert struct {
		rule int
		prio rules.Priority
	}
	names := []string{"Write below etc", "Terminal shell in container", "Never fired", "Outbound connection"}
	tests := []struct {
		name   string
		alerts []alert
		want   string
	}{
		{
			name: "no alerts",
			want: "Events detected: 0\nRule counts by severity:\nTriggered rules by rule name:\n",
		},
		{
			name: "severity order, short upper names, load order, zero counts omitted",
			alerts: []alert{
				{3, rules.Informational}, {0, rules.Error}, {1, rules.Notice}, {0, rules.Error},
				{3, rules.Informational}, {3, rules.Informational}, {1, rules.Emergency},
			},
			want: "Events detected: 7\n" +
				"Rule counts by severity:\n" +
				"   EMERGENCY: 1\n" +
				"   ERROR: 2\n" +
				"   NOTICE: 1\n" +
				"   INFO: 3\n" +
				"Triggered rules by rule name:\n" +
				"   Write below etc: 2\n" +
				"   Terminal shell in container: 2\n" +
				"   Outbound connection: 3\n",
		},
		{
			name:   "debug priority",
			alerts: []alert{{2, rules.Debug}},
			want:   "Events detected: 1\nRule counts by severity:\n   DEBUG: 1\nTriggered rules by rule name:\n   Never fired: 1\n",
		},
	}
	for _, tc := range tests {
		c := NewCounters(names)
		for _, a := range tc.alerts {
			c.AddAlert(a.rule, a.prio)
		}
		var b bytes.Buffer
		if err := c.WriteSummary(&b); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestCountersAccessors(t *testing.T) {
	c := NewCounters([]string{"a", "b"})
	c.AddEvents(10)
	c.AddEvents(5)
	c.AddAlert(1, rules.Warning)
	c.AddAlert(1, rules.Warning)
	c.AddAlert(7, rules.Critical) // unknown id still counts in totals
	tests := []struct {
		name      string
		got, want uint64
	}{
		{"events", c.Events(), 15},
		{"alerts", c.Alerts(), 3},
		{"rule b", c.RuleAlerts(1), 2},
		{"rule a", c.RuleAlerts(0), 0},
		{"rule out of range", c.RuleAlerts(7), 0},
		{"warning", c.PriorityAlerts(rules.Warning), 2},
		{"critical", c.PriorityAlerts(rules.Critical), 1},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

func TestWriteVerbose(t *testing.T) {
	var b bytes.Buffer
	if err := WriteVerbose(&b, Capture{Events: 1234, Drops: 5}, 2500*time.Millisecond, 1000); err != nil {
		t.Fatal(err)
	}
	want := "Driver Events:1234\nDriver Drops:5\nElapsed time: 2.500, Captured Events: 1000, 400.00 eps\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestParseDropActions(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    DropActions
		wantErr string
	}{
		{"empty is ignore", nil, DropIgnore, ""},
		{"shipped default", []string{"log", "alert"}, DropLog | DropAlert, ""},
		{"exit with ignore", []string{"ignore", "exit"}, DropIgnore | DropExit, ""},
		{"ignore after log is accepted like Falco", []string{"log", "ignore"}, DropLog | DropIgnore, ""},
		{"log after ignore", []string{"ignore", "log"}, 0, `syscall event drop action "log" does not make sense with the "ignore" action`},
		{"alert after ignore", []string{"ignore", "alert"}, 0, `syscall event drop action "alert" does not make sense with the "ignore" action`},
		{"unknown", []string{"panic"}, 0, `available actions for syscall event drops are "ignore", "log", "alert", and "exit"`},
	}
	for _, tc := range tests {
		got, err := ParseDropActions(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrDropActions) {
				t.Errorf("%s: error = %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if s := (DropLog | DropExit).String(); s != "[log, exit]" {
		t.Errorf("String = %q", s)
	}
}

func TestTokenBucket(t *testing.T) {
	const sec = int64(1e9)
	tests := []struct {
		name   string
		rate   float64
		burst  float64
		claims []int64 // claim times, seconds offsets in ns
		want   []bool
	}{
		{"starts full with burst 1", 1, 1, []int64{0}, []bool{true}},
		{"empty until a token accrues", 1, 1, []int64{0, sec / 2, sec}, []bool{true, false, true}},
		{"burst caps accrual", 1, 2, []int64{0, 0, 0, 10 * sec, 10 * sec, 10 * sec}, []bool{true, true, false, true, true, false}},
		{"Falco default 1 per 30s", .03333, 1, []int64{0, 29 * sec, 31 * sec}, []bool{true, false, true}},
		{"time going backwards gives nothing", 1, 1, []int64{10 * sec, 5 * sec, 10*sec + sec/2}, []bool{true, false, false}},
	}
	for _, tc := range tests {
		b := NewTokenBucket(tc.rate, tc.burst)
		var got []bool
		for _, at := range tc.claims {
			got = append(got, b.Claim(1_500_000_000*sec+at))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: claims = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestDropMonitor(t *testing.T) {
	const sec = int64(1e9)
	t0 := int64(1_700_000_000) * sec
	type step struct {
		at  int64 // ns after t0
		cur Capture
	}
	type decision struct {
		at               int64
		drops, evts      uint64
		log, alert, exit bool
	}
	all := DropLog | DropAlert | DropExit
	tests := []struct {
		name         string
		cfg          DropConfig
		steps        []step
		want         []decision
		wantDetected uint64
		wantActions  uint64
	}{
		{
			name: "first event only arms the check",
			cfg:  DropConfig{Threshold: 0, Actions: all, Rate: 1, MaxBurst: 10},
			steps: []step{
				{0, Capture{Events: 100, Drops: 50}},
			},
		},
		{
			name: "check needs an event strictly after one second",
			cfg:  DropConfig{Threshold: .1, Actions: all, Rate: 1, MaxBurst: 10},
			steps: []step{
				{0, Capture{}},
				{sec, Capture{Events: 100, Drops: 50}},
				{sec + 1, Capture{Events: 100, Drops: 50}},
			},
			want:         []decision{{sec + 1, 50, 100, true, true, true}},
			wantDetected: 1, wantActions: 1,
		},
		{
			name: "ratio equal to threshold is not a drop",
			cfg:  DropConfig{Threshold: .5, Actions: DropAlert, Rate: 1, MaxBurst: 10},
			steps: []step{
				{0, Capture{}},
				{2 * sec, Capture{Events: 100, Drops: 50}},
				{4 * sec, Capture{Events: 200, Drops: 101}},
			},
			want:         []decision{{4 * sec, 51, 100, false, true, false}},
			wantDetected: 1, wantActions: 1,
		},
		{
			name: "deltas are per interval; next check a second after the last",
			cfg:  DropConfig{Threshold: .1, Actions: DropLog, Rate: 1, MaxBurst: 10},
			steps: []step{
				{0, Capture{}},
				{2 * sec, Capture{Events: 1000, Drops: 500}},       // check: 50%
				{2*sec + sec/2, Capture{Events: 2000, Drops: 900}}, // too early
				{3*sec + 1, Capture{Events: 3000, Drops: 900}},     // 400/2000 = 20%
				{5 * sec, Capture{Events: 13000, Drops: 950}},      // 50/10000: below
			},
			want: []decision{
				{2 * sec, 500, 1000, true, false, false},
				{3*sec + 1, 400, 2000, true, false, false},
			},
			wantDetected: 2, wantActions: 2,
		},
		{
			name: "drops without events are ignored",
			cfg:  DropConfig{Threshold: 0, Actions: DropAlert, Rate: 1, MaxBurst: 10},
			steps: []step{
				{0, Capture{}},
				{2 * sec, Capture{Drops: 5}},
			},
		},
		{
			name: "token bucket limits actions, not detections",
			cfg:  DropConfig{Threshold: .1, Actions: DropAlert, Rate: .03333, MaxBurst: 1},
			steps: []step{
				{0, Capture{}},
				{2 * sec, Capture{Events: 100, Drops: 50}},
				{4 * sec, Capture{Events: 200, Drops: 100}},
				{6 * sec, Capture{Events: 300, Drops: 150}},
				{40 * sec, Capture{Events: 400, Drops: 200}},
			},
			want: []decision{
				{2 * sec, 50, 100, false, true, false},
				{40 * sec, 50, 100, false, true, false},
			},
			wantDetected: 4, wantActions: 2,
		},
		{
			name: "simulated drops with no events",
			cfg:  DropConfig{Threshold: .9, Actions: DropAlert, Rate: 1, MaxBurst: 10, Simulate: true},
			steps: []step{
				{0, Capture{}},
				{2 * sec, Capture{}},
			},
			want:         []decision{{2 * sec, 1, 0, false, true, false}},
			wantDetected: 1, wantActions: 1,
		},
		{
			name: "ignore takes no action but counts",
			cfg:  DropConfig{Threshold: .1, Actions: DropIgnore, Rate: 1, MaxBurst: 10},
			steps: []step{
				{0, Capture{}},
				{2 * sec, Capture{Events: 10, Drops: 5}},
			},
			want:         []decision{{2 * sec, 5, 10, false, false, false}},
			wantDetected: 1, wantActions: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewDropMonitor(tc.cfg, Capture{})
			var got []decision
			for _, s := range tc.steps {
				d := m.Observe(t0+s.at, s.cur)
				if d == nil {
					continue
				}
				if d.TimeNS-t0 != s.at {
					t.Errorf("%s: decision time %d, want %d", tc.name, d.TimeNS-t0, s.at)
				}
				got = append(got, decision{d.TimeNS - t0, d.Delta.Drops, d.Delta.Events, d.Log, d.Alert, d.Exit})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: decisions\n got %+v\nwant %+v", tc.name, got, tc.want)
			}
			if m.Detected() != tc.wantDetected || m.ActionsTaken() != tc.wantActions {
				t.Errorf("%s: detected/actions = %d/%d, want %d/%d", tc.name, m.Detected(), m.ActionsTaken(), tc.wantDetected, tc.wantActions)
			}
		})
	}
}

func TestDropDecisionAlertContent(t *testing.T) {
	m := NewDropMonitor(DropConfig{Threshold: .1, Actions: DropLog | DropAlert, Rate: 1, MaxBurst: 1}, Capture{Events: 5, Drops: 1, DropsBuffer: 1})
	m.Observe(1e9, Capture{Events: 5, Drops: 1, DropsBuffer: 1})
	d := m.Observe(3e9, Capture{Events: 1005, Drops: 301, DropsBuffer: 299, DropsPF: 2})
	if d == nil {
		t.Fatal("no decision")
	}
	if want := "Falco internal: syscall event drop. 300 system calls dropped in last second."; d.Message != want {
		t.Errorf("message = %q, want %q", d.Message, want)
	}
	if d.Rule != DropRule {
		t.Errorf("rule = %q", d.Rule)
	}
	wantFields := map[string]string{
		"n_evts": "1000", "n_drops": "300", "n_drops_buffer": "298", "n_drops_scratch_map": "0",
		"n_drops_pf": "2", "n_drops_bug": "0", "ebpf_enabled": "0",
	}
	if !reflect.DeepEqual(d.Fields, wantFields) {
		t.Errorf("fields = %v, want %v", d.Fields, wantFields)
	}
	var b bytes.Buffer
	if err := m.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	want := "Syscall event drop monitoring:\n   - event drop detected: 1 occurrences\n   - num times actions taken: 1\n"
	if b.String() != want {
		t.Errorf("summary = %q, want %q", b.String(), want)
	}
}

func TestDefaultDropConfig(t *testing.T) {
	c := DefaultDropConfig()
	if c.Threshold != .1 || c.Actions != DropIgnore || math.Abs(c.Rate-.03333) > 1e-12 || c.MaxBurst != 1 || c.Simulate {
		t.Errorf("DefaultDropConfig = %+v", c)
	}
}

func TestTimeoutMonitor(t *testing.T) {
	m := NewTimeoutMonitor(3, time.UTC)
	var notices []*TimeoutNotice
	seq := "TTTTEETTTTTTTT" // T timeout, E event
	ts := int64(1470327477881781397)
	for _, c := range seq {
		if c == 'E' {
			m.Event(ts)
			ts += 1000
			continue
		}
		if n := m.Timeout(); n != nil {
			notices = append(notices, n)
		}
	}
	// 4th T notifies (before any event: "none"); after the events, the 4th
	// and 8th consecutive timeouts notify with the first event's time.
	if len(notices) != 3 {
		t.Fatalf("notices = %d, want 3", len(notices))
	}
	wantLast := []string{"none", "16:17:57.881781397", "16:17:57.881781397"}
	for i, n := range notices {
		if got := n.Fields["last_event_time"]; got != wantLast[i] {
			t.Errorf("notice %d last_event_time = %q, want %q", i, got, wantLast[i])
		}
		if want := "Falco internal: timeouts notification. 3 consecutive timeouts without event."; n.Message != want {
			t.Errorf("notice %d message = %q", i, n.Message)
		}
		if !strings.HasPrefix(n.Message, n.Rule) {
			t.Errorf("notice %d rule = %q", i, n.Rule)
		}
	}
}

func TestWriteExitSummary(t *testing.T) {
	c := NewCounters([]string{"r"})
	c.AddAlert(0, rules.Warning)
	var out, errOut bytes.Buffer
	if err := WriteExitSummary(&out, &errOut, c, nil); err != nil {
		t.Fatal(err)
	}
	if want := "Events detected: 1\nRule counts by severity:\n   WARNING: 1\nTriggered rules by rule name:\n   r: 1\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}
	if want := "Syscall event drop monitoring:\n   - event drop detected: 0 occurrences\n   - num times actions taken: 0\n"; errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut.String(), want)
	}
}
