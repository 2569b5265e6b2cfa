package container

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Label keys the ECS agent puts on every container it starts (container metadata "Labels").
const (
	labelCluster        = "com.amazonaws.ecs.cluster"
	labelContainerName  = "com.amazonaws.ecs.container-name"
	labelTaskARN        = "com.amazonaws.ecs.task-arn"
	labelTaskFamily     = "com.amazonaws.ecs.task-definition-family"
	labelTaskRevision   = "com.amazonaws.ecs.task-definition-version"
	containerTypeNormal = "NORMAL" // user container, as opposed to the agent's internal pause/firelens containers
)

// maxMetadataBody bounds what is read from each endpoint: real answers are a few KiB.
const maxMetadataBody = 1 << 20

// containerMetadata holds the fields of ${ECS_CONTAINER_METADATA_URI_V4} (and of each entry of the task's
// "Containers") that identity resolution uses. Everything else in the answer is ignored.
type containerMetadata struct {
	DockerID   string
	Name       string
	DockerName string
	Image      string
	ImageID    string
	Type       string
	Labels     map[string]string
}

// taskMetadata holds the fields of ${ECS_CONTAINER_METADATA_URI_V4}/task used here.
type taskMetadata struct {
	Cluster          string
	TaskARN          string
	Family           string
	Revision         string
	AvailabilityZone string
	LaunchType       string
	Containers       []containerMetadata
}

// metadataResult is what the two endpoints yielded; a nil pointer means that endpoint gave nothing usable.
type metadataResult struct {
	container *containerMetadata
	task      *taskMetadata
}

// fetchMetadata queries both v4 endpoints concurrently under ctx (which carries the caller's deadline) and
// returns what could be decoded plus at most one error summarising every failure.
func fetchMetadata(ctx context.Context, uri string) (metadataResult, error) {
	base, err := url.Parse(uri)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return metadataResult{}, &MetadataError{URI: uri, Failed: []string{"container", "task"},
			Err: fmt.Errorf("%q: %w", uri, ErrMetadataBadURI)}
	}
	containerURL := strings.TrimRight(uri, "/")
	taskURL := containerURL + "/task"

	client := &http.Client{Transport: &http.Transport{
		// The endpoint is link-local (169.254.170.2): an HTTP(S)_PROXY meant for the workload must not be used.
		Proxy:             nil,
		DialContext:       (&net.Dialer{}).DialContext,
		DisableKeepAlives: true,
	}}
	defer client.CloseIdleConnections()

	var (
		result                metadataResult
		containerErr, taskErr error
		wg                    sync.WaitGroup
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		var fields map[string]json.RawMessage
		fields, containerErr = getObject(ctx, client, containerURL)
		if fields != nil {
			c := decodeContainer(fields)
			result.container = &c
		}
	}()
	go func() {
		defer wg.Done()
		var fields map[string]json.RawMessage
		fields, taskErr = getObject(ctx, client, taskURL)
		if fields != nil {
			t := decodeTask(fields)
			result.task = &t
		}
	}()
	wg.Wait()

	if containerErr == nil && taskErr == nil {
		return result, nil
	}
	merr := &MetadataError{URI: uri}
	if containerErr != nil {
		merr.Failed = append(merr.Failed, "container")
		merr.Err = containerErr
	}
	if taskErr != nil {
		merr.Failed = append(merr.Failed, "task")
		if merr.Err == nil {
			merr.Err = taskErr
		}
	}
	return result, merr
}

// getObject GETs endpoint and decodes the top level of its JSON object. On a truncated or cut-off body it
// returns the members decoded before the break together with the error, so that what is known is kept.
func getObject(ctx context.Context, client *http.Client, endpoint string) (map[string]json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w: %w", endpoint, ErrMetadataBadURI, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error repeats the method and URL; keep only its cause after our own prefix.
		var urlErr *url.Error
		cause := err
		if errors.As(err, &urlErr) {
			cause = urlErr.Err
		}
		return nil, fmt.Errorf("GET %s: %w: %w", endpoint, classifyTransportError(ctx, err), cause)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{Endpoint: endpoint, Code: resp.StatusCode}
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBody+1))
	if len(body) > maxMetadataBody {
		return nil, fmt.Errorf("GET %s: body larger than %d bytes: %w", endpoint, maxMetadataBody, ErrMetadataInvalid)
	}
	fields, decodeErr := decodeObjectPrefix(body)
	if readErr != nil {
		return fields, fmt.Errorf("GET %s: reading body: %w: %w", endpoint, classifyTransportError(ctx, readErr), readErr)
	}
	if decodeErr != nil {
		return fields, fmt.Errorf("GET %s: %w: %w", endpoint, ErrMetadataInvalid, decodeErr)
	}
	return fields, nil
}

func classifyTransportError(ctx context.Context, err error) error {
	var netErr net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &netErr) && netErr.Timeout()) {
		return ErrMetadataTimeout
	}
	return ErrMetadataUnreachable
}

// decodeObjectPrefix decodes the members of a top-level JSON object one by one. It returns nil and an error
// when the body is not an object at all, and the members read so far plus an error when the object breaks
// off (truncated body) or a member is malformed.
func decodeObjectPrefix(body []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return nil, fmt.Errorf("top-level value is %v, not an object", tok)
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return fields, err
		}
		key, _ := keyTok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fields, fmt.Errorf("member %q: %w", key, err)
		}
		fields[key] = raw
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return fields, err
	}
	return fields, nil
}

// jsonString reads a scalar leniently: strings as such, numbers by their literal text (some agents emit a
// task Revision as a number), anything else as "".
func jsonString(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&n); err == nil {
		return n.String()
	}
	return ""
}

func decodeContainer(fields map[string]json.RawMessage) containerMetadata {
	c := containerMetadata{
		DockerID:   jsonString(fields["DockerId"]),
		Name:       jsonString(fields["Name"]),
		DockerName: jsonString(fields["DockerName"]),
		Image:      jsonString(fields["Image"]),
		ImageID:    jsonString(fields["ImageID"]),
		Type:       jsonString(fields["Type"]),
	}
	if c.DockerID == "" {
		c.DockerID = jsonString(fields["DockerID"]) // some third-party fakes spell it this way
	}
	var labels map[string]json.RawMessage
	if raw, ok := fields["Labels"]; ok && json.Unmarshal(raw, &labels) == nil {
		c.Labels = make(map[string]string, len(labels))
		for k, v := range labels {
			c.Labels[k] = jsonString(v)
		}
	}
	return c
}

func decodeTask(fields map[string]json.RawMessage) taskMetadata {
	t := taskMetadata{
		Cluster:          jsonString(fields["Cluster"]),
		TaskARN:          jsonString(fields["TaskARN"]),
		Family:           jsonString(fields["Family"]),
		Revision:         jsonString(fields["Revision"]),
		AvailabilityZone: jsonString(fields["AvailabilityZone"]),
		LaunchType:       jsonString(fields["LaunchType"]),
	}
	var containers []json.RawMessage
	if raw, ok := fields["Containers"]; ok && json.Unmarshal(raw, &containers) == nil {
		for _, rawContainer := range containers {
			if members, err := decodeObjectPrefix(rawContainer); err == nil {
				t.Containers = append(t.Containers, decodeContainer(members))
			}
		}
	}
	return t
}

// pickTaskContainer finds this process's container among the task's containers when the container endpoint
// gave nothing: by the id or name the user gave, else the only user (NORMAL) container of the task.
func pickTaskContainer(task *taskMetadata, wantID, wantName string) *containerMetadata {
	if task == nil {
		return nil
	}
	for i := range task.Containers {
		c := &task.Containers[i]
		if (wantID != "" && (c.DockerID == wantID || ShortID(c.DockerID) == wantID)) ||
			(wantName != "" && c.Name == wantName) {
			return c
		}
	}
	var only *containerMetadata
	for i := range task.Containers {
		c := &task.Containers[i]
		if c.Type != "" && c.Type != containerTypeNormal {
			continue
		}
		if only != nil {
			return nil // several user containers: no way to tell which one we are
		}
		only = c
	}
	return only
}
