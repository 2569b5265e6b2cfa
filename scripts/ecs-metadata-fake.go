//go:build ignore

// ecs-metadata-fake serves a recorded ECS task metadata v4 sample on a local port, for end-to-end runs that
// point ECS_CONTAINER_METADATA_URI_V4 at it:
//
//	go run scripts/ecs-metadata-fake.go -sample fargate &   # prints ECS_CONTAINER_METADATA_URI_V4=http://...
//	ECS_CONTAINER_METADATA_URI_V4=http://127.0.0.1:PORT/v4/0c7d5e1a-falco-trace-fake bin/falco-trace launch -- sh -c id
//
// -delay and -status reproduce a slow or failing endpoint. Go tests should use the package
// cmd/falco-trace/internal/container/ecsfake instead (same paths, same samples).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// metadataPath matches ecsfake.Path.
const metadataPath = "/v4/0c7d5e1a-falco-trace-fake"

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (port 0 picks a free one)")
	dir := flag.String("dir", "cmd/falco-trace/internal/container/testdata", "directory of <sample>-container.json and <sample>-task.json")
	sample := flag.String("sample", "fargate", "sample name: fargate or ec2")
	delay := flag.Duration("delay", 0, "hold every answer back this long (simulates a slow endpoint)")
	status := flag.Int("status", http.StatusOK, "HTTP status to answer with (simulates a failing endpoint)")
	flag.Parse()

	container, err := os.ReadFile(filepath.Join(*dir, *sample+"-container.json"))
	if err != nil {
		log.Fatal(err)
	}
	task, err := os.ReadFile(filepath.Join(*dir, *sample+"-task.json"))
	if err != nil {
		log.Fatal(err)
	}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s", r.Method, r.URL.Path)
		if *delay > 0 {
			select {
			case <-time.After(*delay):
			case <-r.Context().Done():
				return
			}
		}
		var body []byte
		switch strings.TrimRight(r.URL.Path, "/") {
		case metadataPath:
			body = container
		case metadataPath + "/task":
			body = task
		default:
			http.NotFound(w, r)
			return
		}
		if *status != http.StatusOK {
			http.Error(w, http.StatusText(*status), *status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// stdout carries only the variable assignment, so that a caller can eval or read it.
	fmt.Printf("ECS_CONTAINER_METADATA_URI_V4=http://%s%s\n", ln.Addr(), metadataPath)

	go func() {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
		<-sigs
		ln.Close()
	}()
	if err := http.Serve(ln, handler); err != nil && !strings.Contains(err.Error(), "use of closed network connection") {
		log.Fatal(err)
	}
}
