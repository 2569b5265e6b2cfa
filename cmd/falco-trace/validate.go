package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/falco-trace/falco-trace/falco/compiler"
	"github.com/falco-trace/falco-trace/falco/rules"
)

// rulesFileFlag is the -r flag shared by validate, list-rules and describe.
func rulesFileFlag() *cli.StringSliceFlag {
	return &cli.StringSliceFlag{
		Name:    "rules-file",
		Aliases: []string{"r"},
		Usage:   "rules file or directory (its files are loaded in name order); repeat to load several, in order (default: the rules embedded in the binary; @builtin names them explicitly)",
	}
}

// builtinRulesRef names the rules embedded in the binary on the command line
// (-r @builtin), so they can be loaded together with other files, in order.
const builtinRulesRef = "@builtin"

func builtinRulesSource() compiler.Source {
	return compiler.Source{Name: rules.DefaultRulesName, Content: rules.DefaultRules}
}

// ruleSourcesFor returns the sources for -r paths (directories expanded,
// @builtin for the embedded rules), or the embedded rules when no -r is given.
func ruleSourcesFor(paths []string) ([]compiler.Source, error) {
	if len(paths) == 0 {
		return []compiler.Source{builtinRulesSource()}, nil
	}
	var sources []compiler.Source
	for _, p := range paths {
		if p == builtinRulesRef {
			sources = append(sources, builtinRulesSource())
			continue
		}
		files, err := compiler.ExpandPaths([]string{p})
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			sources = append(sources, compiler.Source{Name: f})
		}
	}
	return sources, nil
}

var validateCommand = &cli.Command{
	Name:      "validate",
	Usage:     "Load and compile rules files and report errors and warnings",
	ArgsUsage: "[-r FILE...]",
	Description: "Like 'falco -V': each file is loaded in order on top of the previous ones and\n" +
		"'Ok' or its errors are printed (prefixed with the file name when there are\n" +
		"several). Exits 1 on the first error. Then prints how many rules compiled and\n" +
		"why any were skipped. -v prints the warnings to stderr. Without -r the rules\n" +
		"embedded in the binary (" + rules.DefaultRulesName + ") are validated.",
	Flags: []cli.Flag{
		rulesFileFlag(),
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print warnings to stderr"},
	},
	Action: func(cliContext *cli.Context) error {
		if cliContext.NArg() > 0 {
			return usageErrorf("validate: unexpected argument %q (rules files are given with -r)", cliContext.Args().First())
		}
		paths := cliContext.StringSlice("rules-file")
		factory, err := newSinspFilterFactory()
		if err != nil {
			return err
		}
		defer factory.Close()
		return runValidate(cliContext.App.Writer, cliContext.App.ErrWriter, paths, factory, cliContext.Bool("verbose"))
	},
}

// runValidate is the validate command without the CLI plumbing (tests call
// it with any FilterFactory).
func runValidate(stdout, stderr io.Writer, paths []string, factory compiler.FilterFactory, verbose bool) error {
	sources, err := ruleSourcesFor(paths)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return &ExitError{Code: 1}
	}
	prefix := func(file string) string {
		if len(sources) > 1 {
			return file + ": "
		}
		return ""
	}
	res, err := compiler.LoadSources(sources, factory, compiler.LoadOptions{
		MinPriority: rules.Debug,
		AfterFile: func(file string, _ *compiler.Result) {
			fmt.Fprintf(stdout, "%sOk\n", prefix(file))
		},
	})
	if err != nil {
		var fe *compiler.FileError
		if !errors.As(err, &fe) {
			return err
		}
		var le *rules.LoadError
		if errors.As(fe.Err, &le) {
			fmt.Fprintf(stdout, "%s%s", prefix(fe.File), le.Error())
			if verbose {
				printWarnings(stderr, le.Warnings)
			}
		} else {
			fmt.Fprintf(stdout, "%s%v\n", prefix(fe.File), fe.Err)
		}
		return &ExitError{Code: 1}
	}
	defer res.Close()
	if verbose {
		printWarnings(stderr, res.Warnings)
	}
	printLoadSummary(stdout, res)
	return nil
}

// printWarnings prints warnings as Falco -v does.
func printWarnings(w io.Writer, ws []rules.Diagnostic) {
	if len(ws) == 0 {
		return
	}
	fmt.Fprintf(w, "When reading rules content: %s", rules.FormatDiagnostics("warnings", ws))
}

// printLoadSummary prints the rule counts and every skipped rule with its
// reason.
func printLoadSummary(w io.Writer, res *compiler.Result) {
	loaded := len(res.Loaded())
	skipped := len(res.Rules) - loaded
	fmt.Fprintf(w, "%d rules defined: %d compiled, %d skipped while compiling, %d not loaded\n",
		len(res.Rules)+len(res.NotLoaded), loaded, skipped, len(res.NotLoaded))
	for _, r := range res.Rules {
		if r.Skipped() {
			fmt.Fprintf(w, "  skipped %q (%s): %s\n", r.Name, r.Location, r.SkipReason)
		}
	}
	for _, r := range res.NotLoaded {
		fmt.Fprintf(w, "  not loaded %q (%s): %s\n", r.Name, r.Location, r.SkipReason)
	}
}

// loadRulesForCommand loads the -r files (or the embedded rules) of
// list-rules and describe. Load errors are returned in Falco's wording.
func loadRulesForCommand(paths []string, factory compiler.FilterFactory) (*compiler.Result, error) {
	sources, err := ruleSourcesFor(paths)
	if err != nil {
		return nil, err
	}
	res, err := compiler.LoadSources(sources, factory, compiler.LoadOptions{MinPriority: rules.Debug})
	if err != nil {
		return nil, &ExitError{Code: 1, Err: errors.New(strings.TrimRight(err.Error(), "\n"))}
	}
	return res, nil
}
