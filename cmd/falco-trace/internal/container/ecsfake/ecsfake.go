// Package ecsfake serves recorded-shape ECS task metadata v4 answers, so that tests can point
// ECS_CONTAINER_METADATA_URI_V4 at a local server:
//
//	container, task, err := ecsfake.ReadSample("internal/container/testdata", "fargate")
//	srv := httptest.NewServer(&ecsfake.Handler{Container: container, Task: task})
//	t.Setenv("ECS_CONTAINER_METADATA_URI_V4", srv.URL+ecsfake.Path)
package ecsfake

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Path is the URI path the Handler serves the container metadata at; the task metadata is at Path+"/task".
// The real endpoint looks like http://169.254.170.2/v4/<container-uuid>.
const Path = "/v4/0c7d5e1a-falco-trace-fake"

// Handler answers GET Path with Container and GET Path+"/task" with Task; every other path, and a nil body,
// is 404.
type Handler struct {
	Container []byte
	Task      []byte
	// Status, when not 0, is returned instead of 200 (with a short text body), for both endpoints.
	Status int
	// Delay holds every answer back this long, or until the client gives up.
	Delay time.Duration
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.Delay > 0 {
		select {
		case <-time.After(h.Delay):
		case <-r.Context().Done():
			return
		}
	}
	var body []byte
	switch strings.TrimRight(r.URL.Path, "/") {
	case Path:
		body = h.Container
	case Path + "/task":
		body = h.Task
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if body == nil {
		http.NotFound(w, r)
		return
	}
	if h.Status != 0 && h.Status != http.StatusOK {
		http.Error(w, http.StatusText(h.Status), h.Status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// ReadSample reads the recorded answers <dir>/<name>-container.json and <dir>/<name>-task.json
// (name "fargate" or "ec2" in internal/container/testdata).
func ReadSample(dir, name string) (container, task []byte, err error) {
	container, err = os.ReadFile(filepath.Join(dir, name+"-container.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("ecs metadata sample %q: %w", name, err)
	}
	task, err = os.ReadFile(filepath.Join(dir, name+"-task.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("ecs metadata sample %q: %w", name, err)
	}
	return container, task, nil
}
