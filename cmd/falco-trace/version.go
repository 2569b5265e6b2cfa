package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"github.com/falco-trace/falco-trace/bridge/sinsp"
)

var versionCommand = &cli.Command{
	Name:      "version",
	Usage:     "Print the versions of falco-trace, the libs, the driver and the event schema",
	ArgsUsage: " ",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "json", Usage: "print the versions as a JSON object"},
	},
	Action: func(cliContext *cli.Context) error {
		if cliContext.NArg() > 0 {
			return usageErrorf("version takes no arguments")
		}
		libs := sinsp.LibVersions()
		// The headers pin the libs version at build time; the loaded
		// library is found at run time. A mismatch means a different Debian
		// package than the one this binary was built against.
		if libs.LibraryPath != "" && !strings.HasSuffix(filepath.Base(libs.LibraryPath), libs.Libs) {
			logrus.WithField("library", libs.LibraryPath).Warnf("built against libs %s but loaded another libsinsp", libs.Libs)
		}
		out := cliContext.App.Writer
		if cliContext.Bool("json") {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{
				"falco_trace":       Version,
				"go":                runtime.Version(),
				"libs":              libs.Libs,
				"libsinsp_library":  libs.LibraryPath,
				"driver_api":        libs.DriverAPI.String(),
				"driver_schema":     libs.DriverSchema.String(),
				"min_driver_api":    libs.MinDriverAPI.String(),
				"min_driver_schema": libs.MinDriverSchema.String(),
				"event_types":       libs.EventTypes,
				"plugin_api":        libs.PluginAPI,
			})
		}
		fmt.Fprintf(out, "falco-trace version: %s\n", Version)
		fmt.Fprintf(out, "Libs version: %s\n", libs.Libs)
		fmt.Fprintf(out, "libsinsp library: %s\n", libs.LibraryPath)
		fmt.Fprintf(out, "Driver API version: %s (libscap requires >= %s)\n", libs.DriverAPI, libs.MinDriverAPI)
		fmt.Fprintf(out, "Driver schema version: %s (libscap requires >= %s)\n", libs.DriverSchema, libs.MinDriverSchema)
		fmt.Fprintf(out, "Event types: %d\n", libs.EventTypes)
		fmt.Fprintf(out, "Plugin API version: %s\n", libs.PluginAPI)
		fmt.Fprintf(out, "Go version: %s\n", runtime.Version())
		return nil
	},
}
