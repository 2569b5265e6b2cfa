package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/falco-trace/falco-trace/falco/compiler"
)

var listRulesCommand = &cli.Command{
	Name:      "list-rules",
	Usage:     "List the rules of the given rules files (default: the embedded rules)",
	ArgsUsage: "[-r FILE...] [--json]",
	Flags: []cli.Flag{
		rulesFileFlag(),
		&cli.BoolFlag{Name: "json", Usage: "print a JSON array with one object per rule"},
	},
	Action: func(cliContext *cli.Context) error {
		if cliContext.NArg() > 0 {
			return usageErrorf("list-rules: unexpected argument %q", cliContext.Args().First())
		}
		factory, err := newSinspFilterFactory()
		if err != nil {
			return err
		}
		defer factory.Close()
		res, err := loadRulesForCommand(cliContext.StringSlice("rules-file"), factory)
		if err != nil {
			return err
		}
		defer res.Close()
		entries := listEntries(res, eventTypeNames)
		if cliContext.Bool("json") {
			return writeRuleListJSON(cliContext.App.Writer, entries)
		}
		return writeRuleListText(cliContext.App.Writer, entries)
	},
}

// ruleListEntry is one rule of list-rules --json.
type ruleListEntry struct {
	Name       string   `json:"name"`
	Priority   string   `json:"priority"`
	Enabled    bool     `json:"enabled"`
	Tags       []string `json:"tags"`
	Source     string   `json:"source"`
	EventTypes []string `json:"event_types"`
	SkipReason string   `json:"skip_reason,omitempty"`
	Location   string   `json:"location"`
}

func listEntries(res *compiler.Result, names func([]uint16) []string) []ruleListEntry {
	var out []ruleListEntry
	add := func(r *compiler.CompiledRule) {
		prio := r.PriorityText
		if r.SkipReason == "" || r.Desc != "" {
			prio = r.Priority.String()
		}
		tags := r.Tags
		if tags == nil {
			tags = []string{}
		}
		out = append(out, ruleListEntry{
			Name: r.Name, Priority: prio, Enabled: r.Enabled && !r.Skipped(), Tags: tags,
			Source: r.Source, EventTypes: names(r.EventTypes), SkipReason: r.SkipReason,
			Location: r.Location.String(),
		})
	}
	for _, r := range res.Rules {
		add(r)
	}
	for _, r := range res.NotLoaded {
		add(r)
	}
	return out
}

func writeRuleListJSON(w io.Writer, entries []ruleListEntry) error {
	if entries == nil {
		entries = []ruleListEntry{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(entries)
}

func writeRuleListText(w io.Writer, entries []ruleListEntry) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPRIORITY\tENABLED\tSOURCE\tEVENT TYPES\tTAGS\tSKIPPED")
	for _, e := range entries {
		types := strings.Join(e.EventTypes, ",")
		if len(e.EventTypes) > 20 {
			types = fmt.Sprintf("(%d types)", len(e.EventTypes))
		}
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\t%s\t%s\n", e.Name, e.Priority, e.Enabled, e.Source, types,
			strings.Join(e.Tags, ","), e.SkipReason)
	}
	return tw.Flush()
}
