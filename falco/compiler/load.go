package compiler

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/falco-trace/falco-trace/falco/collector"
	"github.com/falco-trace/falco-trace/falco/reader"
	"github.com/falco-trace/falco-trace/falco/rules"
)

// LoadOptions configures Load.
type LoadOptions struct {
	Options
	// MinPriority: rules less severe are not loaded. Use rules.Debug to load
	// everything (the zero value, Emergency, loads only Emergency rules).
	MinPriority rules.Priority
	// AfterFile, if set, is called after each file has been collected and
	// everything collected so far compiled (as Falco 0.31.1 recompiles the
	// whole state after every file). res is closed right after the call
	// unless it is the last file's.
	AfterFile func(file string, res *Result)
}

// FileError is a failed load, attributed to the file being loaded.
type FileError struct {
	File string
	Err  error // *rules.LoadError, or an I/O error
}

func (e *FileError) Error() string {
	return "Could not load rules file " + e.File + ": " + e.Err.Error()
}
func (e *FileError) Unwrap() error { return e.Err }

// ExpandPaths replaces each directory by its regular files sorted by name
// (Falco's read_rules_file_directory). A path that does not exist is an
// error in Falco's wording.
func ExpandPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			var errno = err
			if pe, ok := err.(*os.PathError); ok {
				errno = pe.Err
			}
			return nil, fmt.Errorf("Could not get info on rules file %s: %w", p, errno)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("Could not read rules directory %s: %w", p, err)
		}
		var files []string
		for _, e := range entries {
			full := filepath.Join(p, e.Name())
			if fi, err := os.Stat(full); err == nil && fi.Mode().IsRegular() {
				files = append(files, full)
			}
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out, nil
}

// Load reads, collects and compiles rules files in order. paths must already
// be expanded (ExpandPaths). On failure it returns a *FileError naming the
// file whose loading failed; nothing is returned half loaded.
func Load(paths []string, factory FilterFactory, opts LoadOptions) (*Result, error) {
	sources := make([]Source, len(paths))
	for i, p := range paths {
		sources[i] = Source{Name: p}
	}
	return LoadSources(sources, factory, opts)
}

// Source is one rules file to load: Content, or the file Name when Content
// is nil. Name is used in messages either way.
type Source struct {
	Name    string
	Content []byte
}

// LoadSources is Load for rules that do not all live on disk (the rules
// embedded in the binary, generated lists). Sources are loaded in order
// with the same semantics and errors as Load.
func LoadSources(sources []Source, factory FilterFactory, opts LoadOptions) (*Result, error) {
	col := collector.New(collector.Options{MinPriority: opts.MinPriority, FieldExists: factory.FieldExists})
	var res *Result
	for i, src := range sources {
		content := src.Content
		if content == nil {
			var err error
			if content, err = os.ReadFile(src.Name); err != nil {
				return nil, &FileError{File: src.Name, Err: err}
			}
		}
		if err := col.Add(reader.Read(src.Name, content)); err != nil {
			return nil, &FileError{File: src.Name, Err: err}
		}
		var err error
		if res, err = Compile(col.State(), col.Warnings(), factory, opts.Options); err != nil {
			return nil, &FileError{File: src.Name, Err: err}
		}
		if opts.AfterFile != nil {
			opts.AfterFile(src.Name, res)
		}
		if i < len(sources)-1 {
			res.Close()
		}
	}
	if res == nil {
		res = &Result{}
	}
	return res, nil
}
