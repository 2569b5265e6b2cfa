package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/falco-trace/falco-trace/falco/compiler"
)

var describeCommand = &cli.Command{
	Name:      "describe",
	Usage:     "Describe one rule of the given rules files",
	ArgsUsage: "[-r FILE...] RULE",
	Flags:     []cli.Flag{rulesFileFlag()},
	Action: func(cliContext *cli.Context) error {
		// urfave/cli stops parsing flags at the first argument, so
		// `describe RULE -r FILE` leaves -r among the arguments.
		paths := cliContext.StringSlice("rules-file")
		var names []string
		args := cliContext.Args().Slice()
		for i := 0; i < len(args); i++ {
			switch a := args[i]; {
			case a == "-r" || a == "--rules-file":
				if i+1 >= len(args) {
					return usageErrorf("describe: %s needs a file", a)
				}
				paths = append(paths, args[i+1])
				i++
			case strings.HasPrefix(a, "--rules-file="):
				paths = append(paths, strings.TrimPrefix(a, "--rules-file="))
			default:
				names = append(names, a)
			}
		}
		if len(names) != 1 {
			return usageErrorf("describe: give exactly one rule name (quote names with spaces)")
		}
		factory, err := newSinspFilterFactory()
		if err != nil {
			return err
		}
		defer factory.Close()
		res, err := loadRulesForCommand(paths, factory)
		if err != nil {
			return err
		}
		defer res.Close()
		r := res.Rule(names[0])
		if r == nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("No such rule: %s", names[0])}
		}
		describeRule(cliContext.App.Writer, r, eventTypeNames)
		return nil
	},
}

const describeColumn = "%-50s %s\n"

// describeRule prints the rule as `falco -l` does (name and wrapped
// description), followed by what falco-trace compiled.
func describeRule(w io.Writer, r *compiler.CompiledRule, names func([]uint16) []string) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, describeColumn, "Rule", "Description")
	fmt.Fprintf(w, describeColumn, "----", "-----------")
	fmt.Fprintf(w, describeColumn, r.Name, wrapWords(r.Desc, 60, strings.Repeat(" ", 51)))
	fmt.Fprintln(w)
	field := func(k, v string) { fmt.Fprintf(w, "%-12s %s\n", k+":", v) }
	prio := r.Priority.String()
	if r.Desc == "" && r.SkipReason != "" {
		prio = r.PriorityText
	}
	field("Priority", prio)
	field("Enabled", fmt.Sprint(r.Enabled && !r.Skipped()))
	field("Source", r.Source)
	field("Tags", strings.Join(r.Tags, ", "))
	field("Location", r.Location.String())
	if r.SkipReason != "" {
		field("Skipped", r.SkipReason)
	}
	if r.Condition != "" {
		field("Condition", strings.TrimSpace(r.Condition))
	}
	if r.Canonical != "" {
		field("Compiled", r.Canonical)
	}
	if len(r.EventTypes) > 0 {
		field("Event types", strings.Join(names(r.EventTypes), ", "))
	}
	if r.Output != "" {
		field("Output", r.Output)
	}
}

// wrapWords wraps text at about limit characters, indenting continuation
// lines (like Falco's describe_rule).
func wrapWords(text string, limit int, indent string) string {
	var b strings.Builder
	lineLen := 0
	for i, word := range strings.Fields(text) {
		if i > 0 {
			if lineLen+1+len(word) > limit {
				b.WriteString("\n" + indent)
				lineLen = 0
			} else {
				b.WriteByte(' ')
				lineLen++
			}
		}
		b.WriteString(word)
		lineLen += len(word)
	}
	return b.String()
}
