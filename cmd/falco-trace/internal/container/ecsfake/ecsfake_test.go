package ecsfake

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(&Handler{Container: []byte(`{"c":1}`), Task: []byte(`{"t":1}`)})
	defer srv.Close()
	missingTask := httptest.NewServer(&Handler{Container: []byte(`{}`)})
	defer missingTask.Close()
	failing := httptest.NewServer(&Handler{Container: []byte(`{}`), Task: []byte(`{}`), Status: http.StatusServiceUnavailable})
	defer failing.Close()

	tests := []struct {
		name       string
		url        string
		wantStatus int
		wantBody   string
	}{
		{"container", srv.URL + Path, http.StatusOK, `{"c":1}`},
		{"task", srv.URL + Path + "/task", http.StatusOK, `{"t":1}`},
		{"trailing slash", srv.URL + Path + "/task/", http.StatusOK, `{"t":1}`},
		{"stats not served", srv.URL + Path + "/stats", http.StatusNotFound, ""},
		{"other path", srv.URL + "/v2/metadata", http.StatusNotFound, ""},
		{"nil task body", missingTask.URL + Path + "/task", http.StatusNotFound, ""},
		{"forced status", failing.URL + Path, http.StatusServiceUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(tt.url)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.wantStatus)
			}
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("%s: body %q, want %q", tt.name, body, tt.wantBody)
			}
		})
	}
}

func TestReadSample(t *testing.T) {
	for _, name := range []string{"fargate", "ec2"} {
		container, task, err := ReadSample("../testdata", name)
		if err != nil || len(container) == 0 || len(task) == 0 {
			t.Errorf("ReadSample(%q): %d, %d bytes, %v", name, len(container), len(task), err)
		}
	}
	if _, _, err := ReadSample("../testdata", "no-such-sample"); err == nil {
		t.Error("ReadSample of a missing sample: no error")
	}
}
