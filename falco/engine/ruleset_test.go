package engine

import (
	"errors"
	"reflect"
	"testing"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// Event types used by the fixtures (values from ppm_events_public.h).
const (
	typeOpenX    uint16 = 3   // PPME_SYSCALL_OPEN_X
	typeExecveX  uint16 = 293 // PPME_SYSCALL_EXECVE_19_X
	typeConnectX uint16 = 23  // PPME_SOCKET_CONNECT_X
)

func allTypes() []uint16 {
	t := make([]uint16, DefaultNumEventTypes)
	for i := range t {
		t[i] = uint16(i)
	}
	return t
}

func fixtureRules() []Rule {
	return []Rule{
		{Name: "Write below etc", Priority: rules.Error, Tags: []string{"filesystem", "mitre_persistence"}, Enabled: true, EventTypes: []uint16{typeOpenX}},
		{Name: "Terminal shell in container", Priority: rules.Notice, Tags: []string{"container", "shell"}, Enabled: true, EventTypes: []uint16{typeExecveX}},
		{Name: "Unrestricted rule", Priority: rules.Warning, Tags: nil, Enabled: true, EventTypes: allTypes()},
		{Name: "Disabled in file", Priority: rules.Warning, Tags: []string{"shell"}, Enabled: false, EventTypes: []uint16{typeExecveX}},
		{Name: "Outbound connection", Priority: rules.Informational, Tags: []string{"network"}, Enabled: true, EventTypes: []uint16{typeConnectX, typeOpenX}},
		{Name: "Plugin rule", Priority: rules.Debug, Source: "aws_cloudtrail", Enabled: true},
		{Name: "Read sensitive file untrusted", Priority: rules.Warning, Tags: []string{"filesystem"}, Enabled: true, EventTypes: []uint16{typeOpenX, typeOpenX}},
	}
}

func priorityPtr(p rules.Priority) *rules.Priority { return &p }

func TestSelection(t *testing.T) {
	tests := []struct {
		name     string
		selector Selector
		want     []string
		wantErr  error
	}{
		{
			name: "defaults keep file-enabled syscall rules",
			want: []string{"Write below etc", "Terminal shell in container", "Unrestricted rule", "Outbound connection", "Read sensitive file untrusted"},
		},
		{
			name:     "-D substring disables every name containing it",
			selector: Selector{DisableNameSubstrings: []string{"in"}},
			want:     []string{"Write below etc", "Unrestricted rule", "Outbound connection", "Read sensitive file untrusted"},
		},
		{
			name:     "-D is case-sensitive and repeatable",
			selector: Selector{DisableNameSubstrings: []string{"write", "Terminal"}},
			want:     []string{"Write below etc", "Unrestricted rule", "Outbound connection", "Read sensitive file untrusted"},
		},
		{
			name:     "-D empty substring disables all",
			selector: Selector{DisableNameSubstrings: []string{""}},
			want:     nil,
		},
		{
			name:     "-T disables rules having any tag",
			selector: Selector{DisableTags: []string{"filesystem", "network"}},
			want:     []string{"Terminal shell in container", "Unrestricted rule"},
		},
		{
			name:     "-D and -T combine",
			selector: Selector{DisableNameSubstrings: []string{"Unrestricted"}, DisableTags: []string{"shell"}},
			want:     []string{"Write below etc", "Outbound connection", "Read sensitive file untrusted"},
		},
		{
			name:     "-t enables only tagged rules, including file-disabled ones",
			selector: Selector{EnableTags: []string{"shell"}},
			want:     []string{"Terminal shell in container", "Disabled in file"},
		},
		{
			name:     "-t with an unknown tag enables nothing",
			selector: Selector{EnableTags: []string{"nope"}},
			want:     nil,
		},
		{
			name:     "-t with -D is rejected",
			selector: Selector{EnableTags: []string{"shell"}, DisableNameSubstrings: []string{"x"}},
			wantErr:  ErrEnableWithDisable,
		},
		{
			name:     "-t with -T is rejected",
			selector: Selector{EnableTags: []string{"shell"}, DisableTags: []string{"x"}},
			wantErr:  ErrEnableWithDisable,
		},
		{
			name:     "minimum priority warning drops notice and informational",
			selector: Selector{MinPriority: priorityPtr(rules.Warning)},
			want:     []string{"Write below etc", "Unrestricted rule", "Read sensitive file untrusted"},
		},
		{
			name:     "minimum priority also applies to -t",
			selector: Selector{EnableTags: []string{"shell"}, MinPriority: priorityPtr(rules.Warning)},
			want:     []string{"Disabled in file"},
		},
		{
			name:     "minimum priority debug keeps everything",
			selector: Selector{MinPriority: priorityPtr(rules.Debug)},
			want:     []string{"Write below etc", "Terminal shell in container", "Unrestricted rule", "Outbound connection", "Read sensitive file untrusted"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := Build(fixtureRules(), Config{Selector: tc.selector})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("%s: Build error = %v, want %v", tc.name, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: Build: %v", tc.name, err)
			}
			var got []string
			if names := plan.Names(); len(names) > 0 {
				got = names
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: enabled = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}

func TestEnableWithDisableWording(t *testing.T) {
	want := "You can not specify both disabled (-D/-T) and enabled (-t) rules"
	if got := ErrEnableWithDisable.Error(); got != want {
		t.Errorf("error text = %q, want Falco's %q", got, want)
	}
}

func TestSourceSelection(t *testing.T) {
	plan, err := Build(fixtureRules(), Config{Source: "aws_cloudtrail", NumEventTypes: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plan.Names(), []string{"Plugin rule"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("plugin source programs = %q, want %q", got, want)
	}
	// A rule without event types runs for every type.
	want := [][]int32{{0}, {0}, {0}, {0}}
	if !reflect.DeepEqual(plan.ByType, want) {
		t.Errorf("byType = %v, want %v", plan.ByType, want)
	}
}

func TestIndexBuilding(t *testing.T) {
	plan, err := Build(fixtureRules(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Programs: 0 Write below etc (open), 1 Terminal shell (execve),
	// 2 Unrestricted (all), 3 Outbound connection (connect, open),
	// 4 Read sensitive file (open twice).
	if got := len(plan.ByType); got != DefaultNumEventTypes {
		t.Fatalf("len(byType) = %d, want %d", got, DefaultNumEventTypes)
	}
	tests := []struct {
		name    string
		evtType uint16
		want    []int32
	}{
		{"open: definition order, all-types rule in place, duplicate type once", typeOpenX, []int32{0, 2, 3, 4}},
		{"execve", typeExecveX, []int32{1, 2}},
		{"connect", typeConnectX, []int32{2, 3}},
		{"generic event: only the all-types rule", 0, []int32{2}},
		{"last type", DefaultNumEventTypes - 1, []int32{2}},
	}
	for _, tc := range tests {
		if got := plan.ByType[tc.evtType]; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: byType[%d] = %v, want %v", tc.name, tc.evtType, got, tc.want)
		}
	}
}

func TestIndexGrowsForUnknownTypes(t *testing.T) {
	rs := []Rule{{Name: "future", Enabled: true, EventTypes: []uint16{400}}}
	plan, err := Build(rs, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.ByType) != 401 || !reflect.DeepEqual(plan.ByType[400], []int32{0}) {
		t.Errorf("len(byType) = %d, byType[400] = %v; want 401 and [0]", len(plan.ByType), plan.ByType[400])
	}
}

func TestRunsForAllTypes(t *testing.T) {
	tests := []struct {
		name  string
		types []uint16
		want  bool
	}{
		{"empty", nil, true},
		{"one", []uint16{3}, false},
		{"exactly 100", make([]uint16, 100), false},
		{"101", make([]uint16, 101), true},
		{"full set", allTypes(), true},
	}
	for _, tc := range tests {
		if got := RunsForAllTypes(tc.types); got != tc.want {
			t.Errorf("%s: RunsForAllTypes = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMatchOrdering(t *testing.T) {
	// Which programs "match" the event, by program index.
	matching := func(progs ...int) func(int) bool {
		set := map[int]bool{}
		for _, p := range progs {
			set[p] = true
		}
		return func(p int) bool { return set[p] }
	}
	tests := []struct {
		name     string
		matching RuleMatching
		evtType  uint16
		matches  func(int) bool
		want     []int
		wantTry  []int
	}{
		{"first: earliest definition wins", MatchFirst, typeOpenX, matching(3, 4, 0), []int{0}, []int{0}},
		{"first: all-types rule beats later typed rules", MatchFirst, typeOpenX, matching(2, 3, 4), []int{2}, []int{0, 2}},
		{"first: nothing matches tries all", MatchFirst, typeOpenX, matching(), nil, []int{0, 2, 3, 4}},
		{"all: every match in definition order", MatchAll, typeOpenX, matching(4, 2, 0), []int{0, 2, 4}, []int{0, 2, 3, 4}},
		{"all: rule not indexed for the type is never tried", MatchAll, typeExecveX, matching(0, 1, 2), []int{1, 2}, []int{1, 2}},
		{"out of range type", MatchAll, 60000, matching(0), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := Build(fixtureRules(), Config{Matching: tc.matching})
			if err != nil {
				t.Fatal(err)
			}
			var tried []int
			got := plan.Match(tc.evtType, func(p int) bool {
				tried = append(tried, p)
				return tc.matches(p)
			})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: matches = %v, want %v", tc.name, got, tc.want)
			}
			if !reflect.DeepEqual(tried, tc.wantTry) {
				t.Errorf("%s: tried = %v, want %v", tc.name, tried, tc.wantTry)
			}
			if plan.MatchAll() != (tc.matching == MatchAll) {
				t.Errorf("%s: MatchAll() = %v", tc.name, plan.MatchAll())
			}
		})
	}
}

func TestParseRuleMatching(t *testing.T) {
	tests := []struct {
		in      string
		want    RuleMatching
		wantErr string
	}{
		{"first", MatchFirst, ""},
		{"all", MatchAll, ""},
		{"ALL", 0, `Unknown rule matching strategy "ALL"--must be one of first, all`},
		{"", 0, `Unknown rule matching strategy ""--must be one of first, all`},
	}
	for _, tc := range tests {
		got, err := ParseRuleMatching(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrUnknownRuleMatching) {
				t.Errorf("ParseRuleMatching(%q) error = %v, want %q wrapping ErrUnknownRuleMatching", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseRuleMatching(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
}

func TestProgramHandlePreserved(t *testing.T) {
	type handle struct{ id int }
	rs := []Rule{
		{Name: "a", Enabled: true, EventTypes: []uint16{1}, Program: &handle{1}},
		{Name: "b", Enabled: false, EventTypes: []uint16{1}, Program: &handle{2}},
		{Name: "c", Enabled: true, EventTypes: []uint16{1}, Program: &handle{3}},
	}
	plan, err := Build(rs, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Programs) != 2 || plan.Programs[0].Program.(*handle).id != 1 || plan.Programs[1].Program.(*handle).id != 3 {
		t.Errorf("programs lost their handles: %+v", plan.Programs)
	}
}
