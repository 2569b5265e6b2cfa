package container

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/falco-trace/falco-trace/cmd/falco-trace/internal/container/ecsfake"
)

const (
	fargateID       = "9f1c2e7a4b8d4c51a3e6d0b2f7c9e184-1834271952"
	fargateTaskARN  = "arn:aws:ecs:eu-west-1:123456789012:task/shop-prod/9f1c2e7a4b8d4c51a3e6d0b2f7c9e184"
	fargateCluster  = "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-prod"
	fargateImage    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:2.4.1"
	fargateImageID  = "4c1e0f7b9a2d3e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7" // "sha256:" dropped
	ec2FullID       = "e4a8c1d2b3f4a5b6c7d8e9f00112233445566778899aabbccddeeff001122334"
	ec2TaskARN      = "arn:aws:ecs:us-east-1:210987654321:task/billing/5d2c7e1f0a9b48c6b3e4d5f6a7b8c9d0"
	slowBudgetLimit = 1200 * time.Millisecond // "no hang longer than a second", with scheduling slack
)

var fargateLabels = map[string]string{
	"com.amazonaws.ecs.cluster":                 fargateCluster,
	"com.amazonaws.ecs.container-name":          "web",
	"com.amazonaws.ecs.task-arn":                fargateTaskARN,
	"com.amazonaws.ecs.task-definition-family":  "shop-web",
	"com.amazonaws.ecs.task-definition-version": "17",
}

// wantFargate is the identity the recorded Fargate sample must yield.
var wantFargate = Identity{
	ID: fargateID, FullID: fargateID, Name: "web",
	Image: fargateImage, ImageID: fargateImageID,
	ImageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web", ImageTag: "2.4.1",
	Labels:  fargateLabels,
	TaskARN: fargateTaskARN, Family: "shop-web", Revision: "17", Cluster: fargateCluster,
	AvailabilityZone: "eu-west-1b", LaunchType: "FARGATE", Source: SourceECSMetadata,
}

func sample(t *testing.T, name string) (container, task []byte) {
	t.Helper()
	container, task, err := ecsfake.ReadSample("testdata", name)
	if err != nil {
		t.Fatal(err)
	}
	return container, task
}

// serve starts a metadata server and returns the URI to give as ECS_CONTAINER_METADATA_URI_V4.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + ecsfake.Path
}

// noCgroup isolates tests from the cgroup of the machine running them (CI may run inside Docker).
func noCgroup(t *testing.T) string {
	return filepath.Join(t.TempDir(), "no-cgroup")
}

func writeCgroup(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cgroup")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// with returns a copy of base with fields changed by edit.
func with(base Identity, edit func(*Identity)) Identity {
	edit(&base)
	return base
}

func TestResolve(t *testing.T) {
	t.Setenv(EnvMetadataURIV4, "")
	fargateContainer, fargateTask := sample(t, "fargate")
	ec2Container, ec2Task := sample(t, "ec2")
	fargateURI := serve(t, &ecsfake.Handler{Container: fargateContainer, Task: fargateTask})
	ec2URI := serve(t, &ecsfake.Handler{Container: ec2Container, Task: ec2Task})

	ec2Labels := map[string]string{
		"com.amazonaws.ecs.cluster":                 "billing",
		"com.amazonaws.ecs.container-name":          "api",
		"com.amazonaws.ecs.task-arn":                ec2TaskARN,
		"com.amazonaws.ecs.task-definition-family":  "billing-api",
		"com.amazonaws.ecs.task-definition-version": "3",
	}
	wantEC2 := Identity{
		ID: "e4a8c1d2b3f4", FullID: ec2FullID, Name: "api",
		Image:           "registry.internal:5000/billing/api:1.9.0",
		ImageID:         "0d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e",
		ImageRepository: "registry.internal:5000/billing/api", ImageTag: "1.9.0",
		Labels:  ec2Labels,
		TaskARN: ec2TaskARN, Family: "billing-api", Revision: "3", Cluster: "billing",
		AvailabilityZone: "us-east-1c", LaunchType: "EC2", Source: SourceECSMetadata,
	}

	tests := []struct {
		name string
		env  string // ECS_CONTAINER_METADATA_URI_V4
		opts Options
		want Identity
	}{
		{name: "Fargate sample", opts: Options{MetadataURI: fargateURI}, want: wantFargate},
		{name: "Fargate sample from the environment", env: fargateURI, want: wantFargate},
		{name: "EC2 sample shortens the Docker id", opts: Options{MetadataURI: ec2URI}, want: wantEC2},
		{
			name: "flags override metadata fields, task identity kept",
			opts: Options{MetadataURI: fargateURI, ID: "web-1", Name: "frontend", Image: "nginx:1.25"},
			want: with(wantFargate, func(id *Identity) {
				id.ID, id.FullID, id.Name, id.Image, id.ImageID = "web-1", "web-1", "frontend", "nginx:1.25", ""
				id.ImageRepository, id.ImageTag = "nginx", "1.25"
			}),
		},
		{
			name: "explicit image equal to the metadata image keeps ImageID",
			opts: Options{MetadataURI: fargateURI, Image: fargateImage},
			want: wantFargate,
		},
		{
			name: "flags only",
			opts: Options{ID: "abc", Name: "app", Image: "localhost:5000/x/y"},
			want: Identity{ID: "abc", FullID: "abc", Name: "app", Image: "localhost:5000/x/y",
				ImageRepository: "localhost:5000/x/y", ImageTag: "latest", Source: SourceFlags},
		},
		{
			name: "SkipMetadata ignores the environment",
			env:  fargateURI,
			opts: Options{SkipMetadata: true, ID: "abc"},
			want: Identity{ID: "abc", FullID: "abc", Source: SourceFlags},
		},
		{
			name: "name without id takes the id from the cgroup",
			opts: Options{Name: "app", CgroupFile: writeCgroup(t, "0::/ecs/9f1c2e7a4b8d4c51a3e6d0b2f7c9e184/"+fargateID+"\n")},
			want: Identity{ID: fargateID, FullID: fargateID, Name: "app", Source: SourceFlags},
		},
		{
			name: "docker cgroup id is shortened",
			opts: Options{Image: "nginx", CgroupFile: writeCgroup(t, "12:pids:/docker/"+ec2FullID+"\n")},
			want: Identity{ID: "e4a8c1d2b3f4", FullID: ec2FullID, Image: "nginx",
				ImageRepository: "nginx", ImageTag: "latest", Source: SourceFlags},
		},
		{
			name: "name without id and no cgroup id uses the name",
			opts: Options{Name: "app"},
			want: Identity{ID: "app", FullID: "app", Name: "app", Source: SourceFlags},
		},
		{
			name: "image only and no cgroup id uses the image",
			opts: Options{Image: "nginx:1"},
			want: Identity{ID: "nginx:1", FullID: "nginx:1", Image: "nginx:1",
				ImageRepository: "nginx", ImageTag: "1", Source: SourceFlags},
		},
		{name: "nothing known", want: Identity{Source: SourceNone}},
		{name: "blank values are not values", opts: Options{ID: " ", Name: "\t", Image: " "}, want: Identity{Source: SourceNone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvMetadataURIV4, tt.env)
			if tt.opts.CgroupFile == "" {
				tt.opts.CgroupFile = noCgroup(t)
			}
			got, warning := Resolve(context.Background(), tt.opts)
			if warning != nil {
				t.Errorf("%s: unexpected warning: %v", tt.name, warning)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
			}
			if got.Known() != (tt.want.ID != "") {
				t.Errorf("%s: Known() = %v with ID %q", tt.name, got.Known(), got.ID)
			}
		})
	}
}

// truncated returns the first part of body, cut right after the member that contains marker.
func truncated(t *testing.T, body []byte, marker string) []byte {
	t.Helper()
	i := strings.Index(string(body), marker)
	if i < 0 {
		t.Fatalf("marker %q not in sample", marker)
	}
	return body[:i+len(marker)]
}

func refusedURI(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more: connection refused
	return "http://" + addr + ecsfake.Path
}

// stallingHandler sends the first part of each answer, then stops writing until the client goes away.
type stallingHandler struct{ container, task []byte }

func (h stallingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := h.container
	if strings.HasSuffix(r.URL.Path, "/task") {
		body = h.task
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body[:len(body)/2])
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

func TestResolveMetadataFailures(t *testing.T) {
	t.Setenv(EnvMetadataURIV4, "")
	fargateContainer, fargateTask := sample(t, "fargate")
	_, ec2Task := sample(t, "ec2")
	flags := Options{ID: "app-1", Name: "app", Image: "nginx"}
	wantFlags := Identity{ID: "app-1", FullID: "app-1", Name: "app", Image: "nginx",
		ImageRepository: "nginx", ImageTag: "latest", Source: SourceFlags}
	taskOnly := func(id *Identity) { // what the task endpoint alone gives for the Fargate sample's "web" container
		id.Source = SourceECSMetadata
	}

	tests := []struct {
		name        string
		handler     http.Handler // nil: use uri
		uri         string
		opts        Options
		wantErr     error
		want        Identity
		checkStatus int
	}{
		{
			name:    "slow endpoint: flags still apply",
			handler: &ecsfake.Handler{Container: fargateContainer, Task: fargateTask, Delay: 5 * time.Second},
			opts:    flags, wantErr: ErrMetadataTimeout, want: wantFlags,
		},
		{
			name:    "slow endpoint with a huge timeout is capped",
			handler: &ecsfake.Handler{Container: fargateContainer, Task: fargateTask, Delay: 5 * time.Second},
			opts:    Options{Timeout: time.Hour}, wantErr: ErrMetadataTimeout, want: Identity{Source: SourceNone},
		},
		{
			name:    "body stalls halfway: the first half is kept",
			handler: stallingHandler{container: fargateContainer, task: fargateTask},
			wantErr: ErrMetadataTimeout,
			want: Identity{ID: fargateID, FullID: fargateID, Name: "web", Image: fargateImage, ImageID: fargateImageID,
				ImageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web", ImageTag: "2.4.1",
				Labels: fargateLabels, TaskARN: fargateTaskARN, Family: "shop-web", Revision: "17",
				Cluster: fargateCluster, AvailabilityZone: "eu-west-1b", LaunchType: "FARGATE", Source: SourceECSMetadata},
		},
		{
			name:    "HTTP 500",
			handler: &ecsfake.Handler{Container: fargateContainer, Task: fargateTask, Status: http.StatusInternalServerError},
			opts:    flags, wantErr: ErrMetadataStatus, want: wantFlags, checkStatus: http.StatusInternalServerError,
		},
		{
			name:    "garbage",
			handler: &ecsfake.Handler{Container: []byte("<html>503 Service Unavailable</html>"), Task: []byte("\x00\x01garbage")},
			opts:    flags, wantErr: ErrMetadataInvalid, want: wantFlags,
		},
		{
			name:    "JSON that is not an object",
			handler: &ecsfake.Handler{Container: []byte(`["DockerId"]`), Task: []byte(`null`)},
			wantErr: ErrMetadataInvalid, want: Identity{Source: SourceNone},
		},
		{
			name: "connection refused",
			uri:  refusedURI(t),
			opts: flags, wantErr: ErrMetadataUnreachable, want: wantFlags,
		},
		{
			name: "not a URL",
			uri:  "169.254.170.2/v4/abc",
			opts: flags, wantErr: ErrMetadataBadURI, want: wantFlags,
		},
		{
			name: "truncated container answer, task complete",
			handler: &ecsfake.Handler{
				Container: truncated(t, fargateContainer, `"Image": "`+fargateImage+`",`),
				Task:      fargateTask,
			},
			wantErr: ErrMetadataInvalid,
			want: Identity{ID: fargateID, FullID: fargateID, Name: "web", Image: fargateImage,
				ImageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web", ImageTag: "2.4.1",
				TaskARN: fargateTaskARN, Family: "shop-web", Revision: "17", Cluster: fargateCluster,
				AvailabilityZone: "eu-west-1b", LaunchType: "FARGATE", Source: SourceECSMetadata},
		},
		{
			name: "container answer broken, single-container task supplies the container",
			handler: &ecsfake.Handler{
				Container: []byte(`{"DockerId": `), // cut before any value
				Task:      ec2Task,
			},
			wantErr: ErrMetadataInvalid,
			want: Identity{ID: "e4a8c1d2b3f4", FullID: ec2FullID, Name: "api",
				Image:           "registry.internal:5000/billing/api:1.9.0",
				ImageID:         "0d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e",
				ImageRepository: "registry.internal:5000/billing/api", ImageTag: "1.9.0",
				Labels: map[string]string{
					"com.amazonaws.ecs.cluster":                 "billing",
					"com.amazonaws.ecs.container-name":          "api",
					"com.amazonaws.ecs.task-arn":                ec2TaskARN,
					"com.amazonaws.ecs.task-definition-family":  "billing-api",
					"com.amazonaws.ecs.task-definition-version": "3",
				},
				TaskARN: ec2TaskARN, Family: "billing-api", Revision: "3", Cluster: "billing",
				AvailabilityZone: "us-east-1c", LaunchType: "EC2", Source: SourceECSMetadata},
		},
		{
			name:    "container answer broken, two-container task: the --container-name picks",
			handler: &ecsfake.Handler{Container: []byte(`{`), Task: fargateTask},
			opts:    Options{Name: "web"},
			wantErr: ErrMetadataInvalid,
			want:    with(wantFargate, taskOnly),
		},
		{
			name:    "container answer broken, two-container task, nothing to pick by",
			handler: &ecsfake.Handler{Container: []byte(`{`), Task: fargateTask},
			wantErr: ErrMetadataInvalid,
			want: Identity{TaskARN: fargateTaskARN, Family: "shop-web", Revision: "17", Cluster: fargateCluster,
				AvailabilityZone: "eu-west-1b", LaunchType: "FARGATE", Source: SourceECSMetadata},
		},
		{
			name:    "task endpoint missing: task identity from the container labels",
			handler: &ecsfake.Handler{Container: fargateContainer},
			wantErr: ErrMetadataStatus, checkStatus: http.StatusNotFound,
			want: with(wantFargate, func(id *Identity) { id.AvailabilityZone, id.LaunchType = "", "" }),
		},
		{
			name: "valid JSON without DockerId",
			handler: &ecsfake.Handler{
				Container: []byte(`{"Name": "web", "Image": "nginx", "Labels": {"com.amazonaws.ecs.task-definition-version": 4}}`),
				Task:      []byte(`{"Family": "shop-web", "Revision": 4, "Containers": "not a list"}`),
			},
			wantErr: ErrMetadataIncomplete,
			want: Identity{ID: "web", FullID: "web", Name: "web", Image: "nginx",
				ImageRepository: "nginx", ImageTag: "latest",
				Labels: map[string]string{"com.amazonaws.ecs.task-definition-version": "4"},
				Family: "shop-web", Revision: "4", Source: SourceECSMetadata},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uri := tt.uri
			if tt.handler != nil {
				uri = serve(t, tt.handler)
			}
			tt.opts.MetadataURI = uri
			tt.opts.CgroupFile = noCgroup(t)

			start := time.Now()
			got, warning := Resolve(context.Background(), tt.opts)
			elapsed := time.Since(start)

			if elapsed > slowBudgetLimit {
				t.Errorf("%s: Resolve took %v, want <= %v", tt.name, elapsed, slowBudgetLimit)
			}
			var merr *MetadataError
			if !errors.As(warning, &merr) {
				t.Fatalf("%s: warning = %v (%T), want one *MetadataError", tt.name, warning, warning)
			}
			if !errors.Is(warning, tt.wantErr) {
				t.Errorf("%s: warning %q does not match %v", tt.name, warning, tt.wantErr)
			}
			if tt.checkStatus != 0 {
				var serr *StatusError
				if !errors.As(warning, &serr) || serr.Code != tt.checkStatus {
					t.Errorf("%s: warning %v carries no status %d", tt.name, warning, tt.checkStatus)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
			}
			t.Logf("%s: %v in %v", tt.name, warning, elapsed.Round(time.Millisecond))
		})
	}
}

// A caller's context that ends first wins over the metadata budget.
func TestResolveHonoursCallerContext(t *testing.T) {
	t.Setenv(EnvMetadataURIV4, "")
	container, task := sample(t, "fargate")
	uri := serve(t, &ecsfake.Handler{Container: container, Task: task, Delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, warning := Resolve(ctx, Options{MetadataURI: uri, CgroupFile: noCgroup(t)})
	if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
		t.Errorf("Resolve took %v after the caller's 100ms deadline", elapsed)
	}
	if !errors.Is(warning, ErrMetadataTimeout) {
		t.Errorf("warning = %v, want ErrMetadataTimeout", warning)
	}
}
