package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"github.com/falco-trace/falco-trace/bridge/sinsp"
	"github.com/falco-trace/falco-trace/bridge/tracer"
	"github.com/falco-trace/falco-trace/cmd/falco-trace/internal/container"
	"github.com/falco-trace/falco-trace/falco/collector"
	"github.com/falco-trace/falco-trace/falco/compiler"
	"github.com/falco-trace/falco-trace/falco/config"
	"github.com/falco-trace/falco-trace/falco/engine"
	"github.com/falco-trace/falco-trace/falco/output"
	"github.com/falco-trace/falco-trace/falco/rules"
	"github.com/falco-trace/falco-trace/falco/stats"
)

// detectionFlags are the Falco flags of launch, attach and replay.
func detectionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "Falco configuration file (falco.yaml); without it the built-in configuration is used", EnvVars: []string{"FALCO_TRACE_CONFIG"}},
		&cli.StringSliceFlag{Name: "rules-file", Aliases: []string{"r"}, Usage: "rules file or directory, repeatable, loaded in order; replaces rules_file (default: the built-in rules; @builtin names them, e.g. -r @builtin -r falco_rules.yaml)", EnvVars: []string{"FALCO_TRACE_RULES_FILE"}},
		&cli.StringSliceFlag{Name: "option", Aliases: []string{"o"}, Usage: "set a configuration key: key=value, dotted paths allowed (e.g. -o json_output=true)", EnvVars: []string{"FALCO_TRACE_OPTION"}},
		&cli.StringSliceFlag{Name: "disable-rule", Aliases: []string{"D"}, Usage: "disable the rules whose name contains this text (repeatable)", EnvVars: []string{"FALCO_TRACE_DISABLE_RULE"}},
		&cli.StringSliceFlag{Name: "disable-tag", Aliases: []string{"T"}, Usage: "disable the rules with this tag (repeatable)", EnvVars: []string{"FALCO_TRACE_DISABLE_TAG"}},
		&cli.StringSliceFlag{Name: "enable-tag", Aliases: []string{"t"}, Usage: "enable only the rules with this tag (repeatable)", EnvVars: []string{"FALCO_TRACE_ENABLE_TAG"}},
		&cli.BoolFlag{Name: "unbuffered", Aliases: []string{"U"}, Usage: "write every alert to its outputs at once, without buffering", EnvVars: []string{"FALCO_TRACE_UNBUFFERED"}},
		&cli.StringFlag{Name: "tail-file", Usage: "write alerts to this file and follow it to stdout as tail -f did (sets file_output)", EnvVars: []string{"FALCO_TRACE_TAIL_FILE"}},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print rule loading warnings and capture statistics at exit", EnvVars: []string{"FALCO_TRACE_VERBOSE"}},
	}
}

// liveDetectionFlags are the detection flags of launch and attach.
func liveDetectionFlags() []cli.Flag {
	flags := append(detectionFlags(), containerFlags()...)
	return append(flags, &cli.StringFlag{Name: "capture", Usage: "also record every traced event to this .scap file (readable by replay and sysdig -r)", EnvVars: []string{"FALCO_TRACE_CAPTURE"}})
}

// containerFlags name the container of the workload where libsinsp cannot
// tell it from cgroups (ECS Fargate: the task metadata endpoint is used
// automatically when ECS_CONTAINER_METADATA_URI_V4 is set).
func containerFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "container-id", Usage: "container id of the workload (container.id); overrides the ECS metadata", EnvVars: []string{"FALCO_TRACE_CONTAINER_ID"}},
		&cli.StringFlag{Name: "container-name", Usage: "container name of the workload (container.name)", EnvVars: []string{"FALCO_TRACE_CONTAINER_NAME"}},
		&cli.StringFlag{Name: "container-image", Usage: "image of the workload, e.g. repo/app:1.2 (container.image, .image.repository, .image.tag)", EnvVars: []string{"FALCO_TRACE_CONTAINER_IMAGE"}},
		&cli.BoolFlag{Name: "no-ecs-metadata", Usage: "do not query the ECS task metadata endpoint", EnvVars: []string{"FALCO_TRACE_NO_ECS_METADATA"}},
	}
}

// resolveContainer finds the workload's container identity (flags, then the
// ECS task metadata endpoint, bounded to one second). A metadata problem is
// one warning: detection starts with what is known.
func resolveContainer(cliContext *cli.Context) container.Identity {
	id, warning := container.Resolve(cliContext.Context, container.Options{
		ID:           cliContext.String("container-id"),
		Name:         cliContext.String("container-name"),
		Image:        cliContext.String("container-image"),
		SkipMetadata: cliContext.Bool("no-ecs-metadata"),
	})
	log := logrus.WithField("component", "container")
	if warning != nil {
		log.WithError(warning).Warn("container metadata incomplete; continuing with what is known")
	}
	if id.Known() {
		log.WithFields(logrus.Fields{"id": id.ID, "name": id.Name, "image": id.Image, "source": id.Source}).Info("workload container")
	}
	return id
}

// newInspectorFor creates the consumer, with libsinsp's static container set
// when the identity is known.
func newInspectorFor(id container.Identity) (*sinsp.Inspector, error) {
	if !id.Known() {
		return sinsp.New()
	}
	return sinsp.NewWithContainer(sinsp.Container{
		ID: id.ID, Name: id.Name, Image: id.Image, ImageID: id.ImageID,
		ImageRepository: id.ImageRepository, ImageTag: id.ImageTag, ImageDigest: id.ImageDigest,
	})
}

// setIdentity adds the ECS task identity to every alert, as output fields
// and tags.
func (d *detection) setIdentity(id container.Identity) {
	if fields := id.OutputFields(); len(fields) > 0 {
		d.extraFields = make(map[string]json.RawMessage, len(fields))
		for k, v := range fields {
			b, _ := json.Marshal(v)
			d.extraFields[k] = b
		}
	}
	d.extraTags = id.Tags()
}

// detectionOptions are the parsed detection flags.
type detectionOptions struct {
	ConfigPath string
	Overrides  []string
	RulesPaths []string
	Selector   engine.Selector
	Unbuffered bool
	Verbose    bool
	// SelfPIDs are falco-trace's own process ids, protected by the
	// built-in tampering rules.
	SelfPIDs []int
}

func detectionOptionsFromCLI(cliContext *cli.Context) (detectionOptions, error) {
	opts := detectionOptions{
		ConfigPath: cliContext.String("config"),
		Overrides:  cliContext.StringSlice("option"),
		RulesPaths: cliContext.StringSlice("rules-file"),
		Unbuffered: cliContext.Bool("unbuffered"),
		Verbose:    cliContext.Bool("verbose"),
		Selector: engine.Selector{
			DisableNameSubstrings: cliContext.StringSlice("disable-rule"),
			DisableTags:           cliContext.StringSlice("disable-tag"),
			EnableTags:            cliContext.StringSlice("enable-tag"),
		},
	}
	if err := opts.Selector.Validate(); err != nil {
		return opts, usageErrorf("%v", err)
	}
	if path := cliContext.String("tail-file"); path != "" {
		opts.Overrides = append(opts.Overrides,
			"file_output.enabled=true", "file_output.filename="+path, "file_output.follow_to_stdout=true",
			// The follower prints the alerts: printing them on stdout too
			// would show each one twice.
			"stdout_output.enabled=false")
	}
	return opts, nil
}

// detection is the rules engine of one run: configuration, rules compiled
// into the inspector that evaluates them, outputs and counters.
type detection struct {
	opts     detectionOptions
	cfg      *config.Config
	log      *logrus.Entry
	render   output.Formatter
	hostname string

	rules      *compiler.Result
	programs   []*compiler.CompiledRule // by program index
	formatters []*sinsp.Formatter
	outputs    *output.Outputs
	counters   *stats.Counters
	drops      *stats.DropMonitor
	dropExit   bool

	// extraFields and extraTags are added to every alert (ECS task identity).
	extraFields map[string]json.RawMessage
	extraTags   []string
}

// newDetection loads and validates the configuration and starts the outputs.
// Everything that can be wrong in the user's configuration fails here,
// before any workload starts.
func newDetection(opts detectionOptions, stdout, stderr io.Writer) (*detection, error) {
	cfg, err := config.Load(opts.ConfigPath, opts.Overrides)
	if err != nil {
		return nil, err
	}
	d := &detection{opts: opts, cfg: cfg, log: logrus.WithField("component", "engine")}
	for _, w := range cfg.Warnings {
		d.log.Warn(w.String())
	}
	if len(opts.RulesPaths) > 0 {
		cfg.RulesFiles = opts.RulesPaths
	}
	d.hostname, _ = os.Hostname()
	if h := os.Getenv("FALCO_HOSTNAME"); h != "" {
		d.hostname = h
	}
	d.render = output.DefaultFormatter()
	d.render.JSON = cfg.JSONOutput
	d.render.TimeISO8601 = cfg.TimeFormatISO8601
	d.render.JSONIncludeOutput = cfg.JSONIncludeOutputProperty
	d.render.JSONIncludeTags = cfg.JSONIncludeTagsProperty

	actions := make([]string, len(cfg.SyscallEventDrops.Actions))
	for i, a := range cfg.SyscallEventDrops.Actions {
		actions[i] = string(a)
	}
	dropActions, err := stats.ParseDropActions(actions)
	if err != nil {
		return nil, fmt.Errorf("syscall_event_drops.actions: %w", err)
	}
	d.drops = stats.NewDropMonitor(stats.DropConfig{
		Threshold: cfg.SyscallEventDrops.Threshold,
		Actions:   dropActions,
		Rate:      cfg.SyscallEventDrops.Rate,
		MaxBurst:  float64(cfg.SyscallEventDrops.MaxBurst),
		Simulate:  cfg.SyscallEventDrops.SimulateDrops,
	}, stats.Capture{})

	d.outputs, err = output.Start(cfg, output.StartOptions{
		Render:     d.render.Render,
		Stdout:     stdout,
		Stderr:     stderr,
		Unbuffered: opts.Unbuffered,
		Version:    output.VersionInfo{Version: Version, EngineVersion: collector.Falco031EngineVersion},
		Log:        logrus.WithField("component", "outputs"),
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ruleSources maps rules_file entries to loadable sources: directories are
// expanded, and the built-in marker becomes the rules embedded in the binary.
func (d *detection) ruleSources() ([]compiler.Source, error) {
	var entries, skipped []string
	builtIn := false
	for _, entry := range d.cfg.RulesFiles {
		if entry == config.EmbeddedRules {
			entry = builtinRulesRef
		}
		if entry == builtinRulesRef {
			builtIn = true
		} else if _, err := os.Stat(entry); err != nil && d.opts.ConfigPath != "" && len(d.opts.RulesPaths) == 0 {
			// Falco skips rules_file entries of the configuration that do not
			// exist (its shipped falco.yaml lists optional files).
			d.log.WithField("file", entry).Debug("rules_file entry does not exist; skipped")
			skipped = append(skipped, entry)
			continue
		}
		entries = append(entries, entry)
	}
	if len(entries) == 0 && len(skipped) > 0 {
		return nil, fmt.Errorf("no rules loaded: the rules_file entries of %s do not exist (%s); pass -r FILE", d.opts.ConfigPath, strings.Join(skipped, ", "))
	}
	sources, err := ruleSourcesFor(entries)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 || len(sources) == 0 {
		return nil, errors.New("no rules loaded: rules_file lists no existing file; pass -r FILE")
	}
	if builtIn {
		sources = append(sources, selfProtectionSource(d.cfg, d.opts))
	}
	return sources, nil
}

// install loads the rules, compiles them in insp (the inspector that will
// evaluate them), builds the plan and hands it to libsinsp.
func (d *detection) install(insp *sinsp.Inspector) error {
	sources, err := d.ruleSources()
	if err != nil {
		return err
	}
	for _, s := range sources {
		d.log.WithField("file", s.Name).Info("Loading rules")
	}
	res, err := compiler.LoadSources(sources, newSinspFilterFactoryFor(insp), compiler.LoadOptions{MinPriority: d.cfg.Priority})
	if err != nil {
		return locateLoadError(err)
	}
	d.rules = res
	for _, w := range res.Warnings {
		entry := d.log.WithField("file", w.Location.String())
		// Unknown keys are usually typos that silently change a rule:
		// always say so, not only with -v as Falco's warnings.
		if d.opts.Verbose || w.Code == collector.UnknownKeyWarning {
			entry.Warn(w.Message)
		} else {
			entry.Debug(w.Message)
		}
	}

	loaded := res.Loaded()
	input := make([]engine.Rule, 0, len(loaded))
	for _, cr := range loaded {
		if cr.NeverMatches {
			// Folded to false (an empty list): loaded, listed, never run.
			continue
		}
		input = append(input, engine.Rule{
			Name: cr.Name, Priority: cr.Priority, Tags: cr.Tags, Enabled: cr.Enabled,
			Source: cr.Source, EventTypes: cr.EventTypes, Program: cr,
		})
	}
	matching, err := engine.ParseRuleMatching(string(d.cfg.RuleMatching))
	if err != nil {
		return err
	}
	plan, err := engine.Build(input, engine.Config{Selector: d.opts.Selector, Matching: matching})
	if err != nil {
		return err
	}
	progs := make([]sinsp.Program, len(plan.Programs))
	d.programs = make([]*compiler.CompiledRule, len(plan.Programs))
	d.formatters = make([]*sinsp.Formatter, len(plan.Programs))
	for i, p := range plan.Programs {
		cr := p.Program.(*compiler.CompiledRule)
		fm, err := insp.NewFormatter(cr.Output)
		if err != nil {
			return fmt.Errorf("rule %q: output %q: %w", cr.Name, cr.Output, err)
		}
		d.programs[i], d.formatters[i] = cr, fm
		progs[i] = sinsp.Program{Filter: sinspFilterOf(cr.Filter), Formatter: fm}
	}
	if err := insp.SetPrograms(progs, plan.ByType, plan.MatchAll()); err != nil {
		return err
	}
	d.counters = stats.NewCounters(plan.Names())
	d.log.WithFields(logrus.Fields{"loaded": len(loaded), "enabled": len(plan.Programs), "skipped": len(res.Rules) - len(loaded)}).Info("rules ready")
	return nil
}

// handleBatch turns the matches of one batch into alerts.
func (d *detection) handleBatch(b sinsp.Batch) error {
	d.counters.AddEvents(b.Events)
	for _, m := range b.Matches {
		cr := d.programs[m.Program]
		fields, err := output.ParseOutputFields(m.FieldsJSON)
		if err != nil || fields == nil {
			if err != nil {
				d.log.WithError(err).WithField("rule", cr.Name).Warn("unreadable output fields")
			}
			fields = map[string]json.RawMessage{}
		}
		for k, v := range d.extraFields {
			fields[k] = v
		}
		tags := cr.Tags
		if len(d.extraTags) > 0 {
			tags = append(append([]string(nil), cr.Tags...), d.extraTags...)
		}
		d.counters.AddAlert(m.Program, cr.Priority)
		d.outputs.Send(&output.Alert{
			Time: time.Unix(0, m.TimeNS), Rule: cr.Name, Priority: cr.Priority, Source: "syscall",
			Tags: tags, Output: m.Output, OutputFields: fields, Hostname: d.hostname,
		})
	}
	return nil
}

// checkDrops feeds the capture counters to Falco's drop monitor and runs the
// configured actions. It returns an error when the action is exit.
func (d *detection) checkDrops(st sinsp.Stats) error {
	decision := d.drops.Observe(time.Now().UnixNano(), stats.Capture{
		Events: st.Events, Drops: st.Drops, DropsBuffer: st.DropsBuffer,
		DropsScratchMap: st.DropsScratchMap, DropsPF: st.DropsPageFault, DropsBug: st.DropsBug,
	})
	if decision == nil {
		return nil
	}
	if decision.Log {
		d.log.Warn(decision.Message)
	}
	if decision.Alert {
		d.outputs.SendInternal(output.NewInternalAlert(time.Unix(0, decision.TimeNS), decision.Rule, decision.Message, d.hostname, decision.Fields))
	}
	if decision.Exit {
		d.dropExit = true
		return &stopDetectionError{msg: decision.Message + " Exiting."}
	}
	return nil
}

// finish flushes every output, prints Falco's end-of-run summary, and frees
// the formatters. Outputs are flushed even when the run failed: no alert
// that was raised is lost.
func (d *detection) finish(stdout, stderr io.Writer, st *sinsp.Stats, elapsed time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if d.outputs != nil {
		if err := d.outputs.Close(ctx); err != nil {
			d.log.WithError(err).Error("flushing outputs")
		}
		outStats := d.outputs.Stats()
		for _, o := range outStats.Outputs {
			if o.Undelivered() > 0 {
				d.log.WithFields(logrus.Fields{"output": o.Name, "failed": o.Failed, "queue_full": o.QueueFull, "lost": o.Lost}).Warn("alerts not delivered")
			}
		}
		if outStats.RateLimited > 0 {
			// Falco only logs each one at debug level: say once that the summary counts more than the outputs got.
			d.log.WithFields(logrus.Fields{"rate_limited": outStats.RateLimited, "outputs.rate": d.cfg.Outputs.Rate, "outputs.max_burst": d.cfg.Outputs.MaxBurst}).Warn("alerts dropped by the outputs rate limiter; raise outputs.max_burst to keep them")
		}
	}
	if d.counters != nil {
		if err := stats.WriteExitSummary(stdout, stderr, d.counters, d.drops); err != nil {
			d.log.WithError(err).Warn("writing the summary")
		}
		if d.opts.Verbose && st != nil {
			_ = stats.WriteVerbose(stderr, stats.Capture{Events: st.Events, Drops: st.Drops, DropsBuffer: st.DropsBuffer,
				DropsScratchMap: st.DropsScratchMap, DropsPF: st.DropsPageFault, DropsBug: st.DropsBug}, elapsed, d.counters.Events())
		}
	}
	for _, fm := range d.formatters {
		if fm != nil {
			fm.Close()
		}
	}
	if d.rules != nil {
		d.rules.Close()
	}
}

// selfProtectionSource fills the default rules' lists of falco-trace's own
// pids and files, so that the tampering rules know what to protect. It only
// applies when those lists exist (the built-in rules are loaded).
func selfProtectionSource(cfg *config.Config, opts detectionOptions) compiler.Source {
	pids := opts.SelfPIDs
	var b strings.Builder
	b.WriteString("- list: falco_trace_pids\n  append: true\n  items: [")
	for i, pid := range pids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(pid))
	}
	b.WriteString("]\n- list: falco_trace_files\n  append: true\n  items: [")
	var files []string
	if opts.ConfigPath != "" {
		files = append(files, opts.ConfigPath)
	}
	for _, entry := range cfg.RulesFiles {
		if entry != config.EmbeddedRules && entry != builtinRulesRef {
			files = append(files, entry)
		}
	}
	if exe, err := os.Executable(); err == nil {
		files = append(files, exe)
	}
	for i, f := range files {
		if abs, err := filepath.Abs(f); err == nil {
			f = abs
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(f))
	}
	b.WriteString("]\n")
	return compiler.Source{Name: "<falco-trace runtime lists>", Content: []byte(b.String())}
}

// runDetection is launch and attach with the rules engine: configuration and
// outputs first (a mistake there stops us before the workload starts), then
// the consumer with the compiled rules, then the tracer; at the end every
// event in the ring is processed, outputs are flushed and the summary printed.
func runDetection(cliContext *cli.Context, opts tracer.SessionOptions) error {
	dopts, err := detectionOptionsFromCLI(cliContext)
	if err != nil {
		return err
	}
	if !isEngineProcess() {
		// The supervisor: the engine process (this binary again, same
		// command line) loads and checks everything below before the
		// workload starts.
		return runWithConsumer(cliContext, opts, consumerHooks{})
	}
	// The tampering rules protect the supervisor and this engine.
	dopts.SelfPIDs = []int{os.Getppid(), os.Getpid()}
	stdout, stderr := cliContext.App.Writer, cliContext.App.ErrWriter
	det, err := newDetection(dopts, stdout, stderr)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	identity := resolveContainer(cliContext)
	det.setIdentity(identity)
	capturePath := cliContext.String("capture")
	if capturePath != "" && os.Getenv(envEngineRestart) != "" {
		// A restarted engine cannot append to the first engine's capture.
		capturePath += fmt.Sprintf(".restart-%d", os.Getpid())
		det.log.WithField("file", capturePath).Warn("the engine was restarted: the capture continues in a new file")
	}
	started := time.Now()
	var insp *sinsp.Inspector
	var last sinsp.Stats
	var dropErr error
	setup := func(i *sinsp.Inspector) error {
		insp = i
		return det.install(i)
	}
	onBatch := func(b sinsp.Batch) error {
		if err := det.handleBatch(b); err != nil {
			return err
		}
		last = insp.Stats()
		// A drop action "exit" ends detection, as it ends Falco.
		dropErr = det.checkDrops(last)
		return dropErr
	}
	opened := func(i *sinsp.Inspector) error {
		if capturePath == "" {
			return nil
		}
		return i.StartDump(capturePath)
	}
	reopen := func() {
		if err := det.outputs.Dispatcher.Reopen(); err != nil {
			det.log.WithError(err).Warn("reopening outputs")
		}
	}
	alert := func(rule, msg string, fields map[string]string) {
		a := output.NewInternalAlert(time.Now(), rule, msg, det.hostname, fields)
		a.Priority = rules.Critical
		det.outputs.SendInternal(a)
	}
	runErr := runWithConsumer(cliContext, opts, consumerHooks{
		New:     func() (*sinsp.Inspector, error) { return newInspectorFor(identity) },
		Setup:   setup,
		Opened:  opened,
		OnBatch: onBatch,
		Reopen:  reopen,
		Alert:   alert,
	})
	det.finish(stdout, stderr, &last, time.Since(started))
	var exitErr *ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		return &ExitError{Code: 1, Err: runErr}
	}
	return runErr
}

// locateLoadError rewrites a rules load failure so that every error starts
// with its file:line and item, followed by the item's text as Falco prints it.
func locateLoadError(err error) error {
	var fe *compiler.FileError
	var le *rules.LoadError
	if !errors.As(err, &fe) || !errors.As(err, &le) {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Could not load rules file %s: %d errors:", fe.File, len(le.Errors))
	for _, d := range le.Errors {
		b.WriteString("\n")
		b.WriteString(d.Error())
		if d.Context != "" {
			b.WriteString("\n---\n" + d.Context + "---")
		}
	}
	return errors.New(b.String())
}
