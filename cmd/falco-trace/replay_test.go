package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestReplayCapture records a known workload with `launch --capture`, then
// replays the capture: the replay must raise exactly the alerts of the live
// run (same rules, same rendered output, same event times), in text and in
// JSON, and the capture must also be readable by sysdig.
func TestReplayCapture(t *testing.T) {
	env := e2eSetup(t)
	capture := filepath.Join(t.TempDir(), "run.scap")
	workload := "cat /etc/shadow > /dev/null; cat /etc/shadow > /dev/null; ls / > /dev/null"
	live := e2eRun(t, env, "launch", "-o", "json_output=true", "--capture", capture, "--", "sh", "-c", workload)
	e2eWantExit(t, live, 0)
	liveAlerts := e2eJSONAlerts(t, live.stdout)
	if len(liveAlerts) != 2 {
		t.Fatalf("live run: want 2 alerts, got %d\n%s", len(liveAlerts), live)
	}

	tests := []struct {
		name string
		args []string
		want func(t *testing.T, res e2eResult)
	}{
		{
			name: "json",
			args: []string{"replay", "-o", "json_output=true", capture},
			want: func(t *testing.T, res e2eResult) {
				got := e2eJSONAlerts(t, res.stdout)
				if len(got) != len(liveAlerts) {
					t.Fatalf("replay: %d alerts, live run had %d\n%s", len(got), len(liveAlerts), res)
				}
				for i := range got {
					for _, key := range []string{"rule", "priority", "output", "time", "output_fields", "tags"} {
						if !reflect.DeepEqual(got[i].Fields[key], liveAlerts[i].Fields[key]) {
							t.Errorf("alert %d %s: replay %s, live %s", i, key, got[i].Fields[key], liveAlerts[i].Fields[key])
						}
					}
					if got[i].Str("rule") != "Read of shadow password file" {
						t.Errorf("alert %d: rule %q", i, got[i].Str("rule"))
					}
				}
				if n := e2eEventsDetected(t, res); n != 2 {
					t.Errorf("summary: Events detected %d, want 2", n)
				}
			},
		},
		{
			name: "text",
			args: []string{"replay", capture},
			want: func(t *testing.T, res e2eResult) {
				got := e2eTextAlerts(res.stdout)
				if len(got) != len(liveAlerts) {
					t.Fatalf("replay: %d text alerts, want %d\n%s", len(got), len(liveAlerts), res)
				}
				for i, line := range got {
					// The text line is the JSON "output" property verbatim.
					if want := liveAlerts[i].Str("output"); line != want {
						t.Errorf("alert %d:\n got %s\nwant %s", i, line, want)
					}
				}
			},
		},
		{
			name: "rule selection applies to replay",
			args: []string{"replay", "-D", "shadow", capture},
			want: func(t *testing.T, res e2eResult) {
				if got := e2eTextAlerts(res.stdout); len(got) != 0 {
					t.Errorf("-D shadow: want no alerts, got %q", got)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e2eRun(t, env, tc.args...)
			e2eWantExit(t, res, 0)
			tc.want(t, res)
		})
	}
}

// TestReplayBadInput: a missing or non-capture file is a clear error, exit 1;
// a missing argument is a usage error, exit 2.
func TestReplayBadInput(t *testing.T) {
	env := e2eSetup(t)
	notCapture := filepath.Join(t.TempDir(), "notes.txt")
	e2eTouch(t, notCapture)
	tests := []struct {
		name    string
		args    []string
		code    int
		message string
	}{
		{"missing file", []string{"replay", "/nonexistent.scap"}, 1, "/nonexistent.scap"},
		{"not a capture", []string{"replay", notCapture}, 1, "notes.txt"},
		{"no argument", []string{"replay"}, 2, "expected exactly one capture file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e2eRun(t, env, tc.args...)
			e2eWantExit(t, res, tc.code)
			if !strings.Contains(res.stderr, tc.message) {
				t.Errorf("%s: stderr does not mention %q\n%s", tc.name, tc.message, res)
			}
			if strings.Contains(res.stdout, "Events detected") {
				t.Errorf("%s: a failed replay printed a summary\n%s", tc.name, res)
			}
		})
	}
}
