package sinsp

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// liveFixture opens a udig ring with a private id, installs nothing, and
// returns the consumer, a producer for it and the pid of the process the
// events are attributed to.
func liveFixture(t *testing.T) (*Inspector, *ringWriter, int) {
	t.Helper()
	actor := newActor(t)
	insp, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { insp.Close() })
	if err := insp.OpenUdig(newRingID(t)); err != nil {
		t.Fatal(err)
	}
	return insp, openRingWriter(t, insp.ringID), actor
}

type testProgram struct{ cond, output string }

func installPrograms(t *testing.T, insp *Inspector, progs []testProgram, matchAll bool) {
	t.Helper()
	var installed []Program
	byType := make([][]int32, 336)
	for n, p := range progs {
		f, err := insp.CompileFilter(p.cond)
		if err != nil {
			t.Fatalf("CompileFilter(%q): %v", p.cond, err)
		}
		fm, err := insp.NewFormatter(p.output)
		if err != nil {
			t.Fatalf("NewFormatter(%q): %v", p.output, err)
		}
		installed = append(installed, Program{Filter: f, Formatter: fm})
		for _, et := range f.EventTypes() {
			byType[et] = append(byType[et], int32(n))
		}
	}
	if err := insp.SetPrograms(installed, byType, matchAll); err != nil {
		t.Fatal(err)
	}
}

type gotMatch struct {
	Program   int
	EventType uint16
	Output    string
	Fields    string
}

func summarize(t *testing.T, ms []Match) []gotMatch {
	t.Helper()
	var out []gotMatch
	for _, m := range ms {
		if !json.Valid(m.FieldsJSON) {
			t.Errorf("FieldsJSON %q is not valid JSON", m.FieldsJSON)
		}
		out = append(out, gotMatch{m.Program, m.EventType, m.Output, string(m.FieldsJSON)})
	}
	return out
}

func TestNextMatchesInjectedEvents(t *testing.T) {
	const comm = "sleep"
	progs := []testProgram{
		{"evt.type=open and evt.dir=< and fd.name=/etc/ft-test-a", "opened %fd.name by %proc.name pid=%proc.pid"},
		{"evt.type=open", "open seen %evt.dir pod=%k8s.pod.name"},
		{"evt.type=close", "close %evt.type by %proc.aname[1] at %evt.rawtime"},
	}
	first := []gotMatch{
		{1, ppmeOpenE, "open seen > pod=<NA>", `{"evt.dir":">","k8s.pod.name":null}`},
		{0, ppmeOpenX, "opened /etc/ft-test-a by sleep pid=PID", `{"fd.name":"/etc/ft-test-a","proc.name":"sleep","proc.pid":PID}`},
		// Time fields are integer ns in the JSON map; keys keep the [arg].
		{2, ppmeCloseE, "close close by PARENT at T2", `{"evt.rawtime":T2,"evt.type":"close","proc.aname[1]":"PARENT"}`},
		{2, ppmeCloseX, "close close by PARENT at T3", `{"evt.rawtime":T3,"evt.type":"close","proc.aname[1]":"PARENT"}`},
	}
	all := append(first[:2:2], gotMatch{1, ppmeOpenX, "open seen < pod=<NA>", `{"evt.dir":"<","k8s.pod.name":null}`})
	all = append(all, first[2:]...)
	tests := []struct {
		name     string
		matchAll bool
		want     []gotMatch
	}{
		{"first match per event", false, first},
		{"every match", true, all},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			insp, w, pid := liveFixture(t)
			installPrograms(t, insp, progs, tc.matchAll)
			base := time.Now()
			for _, ev := range testEvents(base, pid, "/etc/ft-test-a", 7) {
				w.write(t, ev)
			}
			b := drain(t, insp, 2)
			if b.Events != 4 || !b.Timeout || !b.Drained {
				t.Errorf("%s: read %d events (timeout %v, drained %v), want 4 then Drained", tc.name, b.Events, b.Timeout, b.Drained)
			}
			want := append([]gotMatch(nil), tc.want...)
			r := strings.NewReplacer("PID", fmt.Sprint(pid), "PARENT", selfComm(t),
				"T2", fmt.Sprint(base.UnixNano()+2000), "T3", fmt.Sprint(base.UnixNano()+3000))
			for n := range want {
				want[n].Output = r.Replace(want[n].Output)
				want[n].Fields = r.Replace(want[n].Fields)
			}
			if got := summarize(t, b.Matches); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: matches\n got %#v\nwant %#v", tc.name, got, want)
			}
			for n, m := range b.Matches {
				if want := base.UnixNano() + int64(1000*n); !tc.matchAll && m.TimeNS != want {
					t.Errorf("%s: match %d TimeNS %d, want %d", tc.name, n, m.TimeNS, want)
				}
			}
			if st := insp.Stats(); st.Events != 4 || st.DropsBuffer != 0 {
				t.Errorf("%s: Stats %+v, want n_evts 4, no drops", tc.name, st)
			}
		})
	}
}

func TestEventPrinter(t *testing.T) {
	tests := []struct {
		name   string
		format string
		filter string
		asJSON bool
		want   func(tid int) []string
	}{
		{"custom text, filtered", "%evt.type %evt.dir %fd.name", "evt.type=close", false,
			func(int) []string { return []string{"close > /etc/ft-test-b", "close < /etc/ft-test-b"} }},
		{"json field map", "%evt.type %thread.tid", "evt.type=open and evt.dir=<", true,
			func(tid int) []string { return []string{fmt.Sprintf(`{"evt.type":"open","thread.tid":%d}`, tid)} }},
		{"missing value hides the line without *", "%evt.type %k8s.pod.name", "", false,
			func(int) []string { return nil }},
		{"missing value prints <NA> with *", "*%evt.type %k8s.pod.name", "evt.dir=>", false,
			func(int) []string { return []string{"open <NA>", "close <NA>"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			insp, w, pid := liveFixture(t)
			var f *Filter
			if tc.filter != "" {
				var err error
				if f, err = insp.CompileFilter(tc.filter); err != nil {
					t.Fatal(err)
				}
			}
			if err := insp.SetEventPrinter(tc.format, f, tc.asJSON); err != nil {
				t.Fatal(err)
			}
			for _, ev := range testEvents(time.Now(), pid, "/etc/ft-test-b", 9) {
				w.write(t, ev)
			}
			b := drain(t, insp, 100)
			if want := tc.want(pid); !reflect.DeepEqual(b.Printed, want) {
				t.Errorf("%s: printed %q, want %q", tc.name, b.Printed, want)
			}
		})
	}
	t.Run("sysdig default line", func(t *testing.T) {
		insp, w, pid := liveFixture(t)
		if err := insp.SetEventPrinter("", nil, false); err != nil {
			t.Fatal(err)
		}
		for _, ev := range testEvents(time.Now(), pid, "/etc/ft-test-c", 5) {
			w.write(t, ev)
		}
		b := drain(t, insp, 100)
		if len(b.Printed) != 4 {
			t.Fatalf("printed %d lines, want 4: %q", len(b.Printed), b.Printed)
		}
		// evt.num evt.outputtime evt.cpu proc.name (thread.tid) evt.dir evt.type evt.info
		wantSuffix := fmt.Sprintf("sleep (%d) < open fd=5(<f>/etc/ft-test-c) name=/etc/ft-test-c flags=1(O_RDONLY) mode=0 dev=0 ", pid) // evt.info ends with a space
		if !strings.HasSuffix(b.Printed[1], wantSuffix) {
			t.Errorf("default line %q, want suffix %q", b.Printed[1], wantSuffix)
		}
	})
}

// TestCaptureRoundTrip dumps injected events to a .scap file and replays it:
// the same programs give the same matches, and the file ends with EOF.
func TestCaptureRoundTrip(t *testing.T) {
	progs := []testProgram{{"evt.type=open and evt.dir=<", "opened %fd.name by %proc.name"}}
	path := filepath.Join(t.TempDir(), "events.scap")

	live, w, pid := liveFixture(t)
	installPrograms(t, live, progs, false)
	if err := live.StartDump(path); err != nil {
		t.Fatal(err)
	}
	for _, ev := range testEvents(time.Now(), pid, "/etc/ft-test-d", 4) {
		w.write(t, ev)
	}
	liveBatch := drain(t, live, 100)
	if err := live.StopDump(); err != nil {
		t.Fatal(err)
	}

	replay, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer replay.Close()
	if err := replay.OpenFile(path); err != nil {
		t.Fatal(err)
	}
	installPrograms(t, replay, progs, false)
	fileBatch := drain(t, replay, 100)
	if !fileBatch.EOF || fileBatch.Events != 4 {
		t.Errorf("replay read %d events (EOF %v), want 4 and EOF", fileBatch.Events, fileBatch.EOF)
	}
	if got, want := summarize(t, fileBatch.Matches), summarize(t, liveBatch.Matches); len(want) != 1 || !reflect.DeepEqual(got, want) {
		t.Errorf("replay matches %#v, live %#v (want exactly 1, equal)", got, want)
	}
	if _, err := replay.Next(1); err != nil {
		t.Errorf("Next after EOF: %v", err)
	}
}
