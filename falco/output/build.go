package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sirupsen/logrus"

	"github.com/falco-trace/falco-trace/falco/config"
)

// StartOptions is what Start needs besides the configuration.
type StartOptions struct {
	// Render is format.go's text or JSON renderer, chosen by the caller
	// from cfg.JSONOutput; required.
	Render RenderFunc
	// Stdout and Stderr default to the process's own.
	Stdout, Stderr io.Writer
	// Unbuffered is the -U flag: it wins over buffered_outputs.
	Unbuffered bool
	// Version answers the gRPC version service.
	Version VersionInfo
	Log     *logrus.Entry
}

// Outputs is the running output side: the dispatcher, the gRPC server when
// enabled and the file follower when file_output.follow_to_stdout is set.
type Outputs struct {
	*Dispatcher
	GRPC *GRPCServer
	Tail *Tail
}

// Start builds every output enabled in cfg and the dispatcher in front of
// them. On error, what was started is closed again.
func Start(cfg *config.Config, opts StartOptions) (*Outputs, error) {
	if opts.Render == nil {
		return nil, errors.New("output: no renderer")
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	log := opts.Log
	if log == nil {
		log = logrus.WithField("component", "output")
	}
	var channels []Channel
	closeAll := func() {
		for _, ch := range channels {
			_ = ch.Output.Close()
		}
	}
	add := func(o Output) { channels = append(channels, Channel{Output: o}) }

	if cfg.StdoutOutput.Enabled {
		add(NewStdout(opts.Stdout, cfg.BufferedOutputs && !opts.Unbuffered))
	}
	if cfg.FileOutput.Enabled {
		f, err := NewFile(cfg.FileOutput.Filename, cfg.FileOutput.KeepAlive)
		if err != nil {
			closeAll()
			return nil, err
		}
		add(f)
	}
	if cfg.ProgramOutput.Enabled {
		add(NewProgram(cfg.ProgramOutput.Program, cfg.ProgramOutput.KeepAlive, opts.Stdout, opts.Stderr))
	}
	if cfg.HTTPOutput.Enabled {
		h, err := NewHTTP(HTTPOptions{URL: cfg.HTTPOutput.URL, UserAgent: cfg.HTTPOutput.UserAgent, JSON: cfg.JSONOutput})
		if err != nil {
			closeAll()
			return nil, err
		}
		add(h)
	}
	if cfg.SyslogOutput.Enabled {
		// Falco's syslog(3) never fails; containers often have no
		// /dev/log, so a missing daemon is a warning, not an error.
		if s, err := NewSyslog("", "", "falco"); err != nil {
			log.WithError(err).Warn("syslog output disabled")
		} else {
			add(s)
		}
	}
	var grpcServer *GRPCServer
	if cfg.GRPC.Enabled {
		var err error
		grpcServer, err = NewGRPCServer(GRPCOptions{BindAddress: cfg.GRPC.BindAddress, Threadiness: cfg.GRPC.Threadiness, Version: opts.Version})
		if err != nil {
			closeAll()
			return nil, err
		}
		if cfg.GRPCOutput.Enabled {
			add(grpcServer)
		}
	}
	o := &Outputs{GRPC: grpcServer}
	if cfg.FileOutput.FollowToStdout {
		if cfg.StdoutOutput.Enabled {
			log.Warn("file_output.follow_to_stdout and stdout_output are both enabled: alerts appear twice on stdout")
		}
		t, err := StartTail(TailOptions{Path: cfg.FileOutput.Filename, Out: opts.Stdout, Log: log})
		if err != nil {
			closeAll()
			if grpcServer != nil && !cfg.GRPCOutput.Enabled {
				grpcServer.Close()
			}
			return nil, fmt.Errorf("file_output.follow_to_stdout: %w", err)
		}
		o.Tail = t
	}
	o.Dispatcher = NewDispatcher(DispatcherOptions{
		Render:        opts.Render,
		Rate:          cfg.Outputs.Rate,
		MaxBurst:      cfg.Outputs.MaxBurst,
		OutputTimeout: cfg.OutputTimeout,
		Log:           log,
	}, channels...)
	return o, nil
}

// Close drains and closes every output, then lets the follower copy the
// file to its end.
func (o *Outputs) Close(ctx context.Context) error {
	err := o.Dispatcher.Close(ctx)
	if o.GRPC != nil {
		// Closed by the dispatcher when it is an output; harmless twice.
		o.GRPC.Close()
	}
	if o.Tail != nil {
		err = errors.Join(err, o.Tail.Stop())
	}
	return err
}
