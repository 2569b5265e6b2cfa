package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/falco-trace/falco-trace/bridge/sinsp"
)

var listFieldsCommand = &cli.Command{
	Name:      "list-fields",
	Usage:     "List every field libsinsp offers, grouped by class",
	ArgsUsage: "[syscall]",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "names-only", Aliases: []string{"N"}, Usage: "print field names only, one a line"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "also print tags and internal (table-only) fields"},
		&cli.BoolFlag{Name: "json", Usage: "print the field classes as a JSON array"},
	},
	Action: func(cliContext *cli.Context) error {
		if cliContext.NArg() > 1 {
			return usageErrorf("list-fields takes at most one argument, the event source")
		}
		// Only the syscall source exists: libsinsp's string compiler cannot
		// use plugin fields (engine-spec §2.2).
		if src := cliContext.Args().First(); src != "" && src != "syscall" {
			return usageErrorf("unknown event source %q: only syscall is supported", src)
		}
		insp, err := sinsp.New()
		if err != nil {
			return err
		}
		defer insp.Close()
		classes, err := insp.FieldClassesErr()
		if err != nil {
			return err
		}
		verbose := cliContext.Bool("verbose")
		if !verbose {
			classes = visibleFields(classes)
		}
		out := cliContext.App.Writer
		switch {
		case cliContext.Bool("json"):
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(classes)
		case cliContext.Bool("names-only"):
			for _, c := range classes {
				for _, f := range c.Fields {
					fmt.Fprintln(out, f.Name)
				}
			}
			return nil
		default:
			return writeFieldClasses(out, classes, verbose)
		}
	},
}

// visibleFields drops internal table-only fields, as falco --list does.
func visibleFields(classes []sinsp.FieldClass) []sinsp.FieldClass {
	out := make([]sinsp.FieldClass, 0, len(classes))
	for _, c := range classes {
		var fields []sinsp.Field
		for _, f := range c.Fields {
			if !f.Hidden() {
				fields = append(fields, f)
			}
		}
		if len(fields) > 0 {
			c.Fields = fields
			out = append(out, c)
		}
	}
	return out
}

const (
	fieldNameColumn = 28
	fieldLineWidth  = 100
)

func writeFieldClasses(w io.Writer, classes []sinsp.FieldClass, verbose bool) error {
	var b strings.Builder
	for n, c := range classes {
		if n > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Field Class: %s", c.Name)
		if c.ShortDesc != "" {
			fmt.Fprintf(&b, " (%s)", c.ShortDesc)
		}
		b.WriteString("\n")
		if c.Desc != "" {
			fmt.Fprintf(&b, "Description: %s\n", c.Desc)
		}
		b.WriteString("Event Sources: syscall\n\n")
		for _, f := range c.Fields {
			head := fmt.Sprintf("%s [%s]", f.Name, f.Type)
			desc := f.Desc
			if verbose && len(f.Tags) > 0 {
				desc = fmt.Sprintf("%s (%s)", desc, strings.Join(f.Tags, ", "))
			}
			writeWrapped(&b, head, desc)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeWrapped prints head padded to fieldNameColumn, then desc wrapped at
// fieldLineWidth with continuation lines indented to the column.
func writeWrapped(b *strings.Builder, head, desc string) {
	indent := strings.Repeat(" ", fieldNameColumn)
	if len(head) >= fieldNameColumn {
		b.WriteString(head + "\n" + indent)
	} else {
		b.WriteString(head + indent[len(head):])
	}
	col := fieldNameColumn
	for i, word := range strings.Fields(desc) {
		if i > 0 && col+1+len(word) > fieldLineWidth {
			b.WriteString("\n" + indent)
			col = fieldNameColumn
		} else if i > 0 {
			b.WriteString(" ")
			col++
		}
		b.WriteString(word)
		col += len(word)
	}
	b.WriteString("\n")
}
