// Package container resolves the identity of the container falco-trace runs in, so that libsinsp can be given a
// static container (sinsp(true, id, name, image)) and container.* fields resolve for every traced process.
//
// Inside an ECS task on Fargate libsinsp cannot recognise the container from cgroup paths ("/ecs/<task>/<task>-<n>")
// and has no runtime socket to ask, so container.id would be "host" and every rule gated on the `container` macro
// would never fire. Resolve builds the identity from, in order of precedence:
//  1. explicit values (--container-id, --container-name, --container-image, or the config file);
//  2. the ECS task metadata endpoint v4 (${ECS_CONTAINER_METADATA_URI_V4} and .../task);
//  3. /proc/self/cgroup, for the id only, when a name or image is known but no id.
//
// With none of these, the identity is empty (Source "none") and libsinsp keeps its own cgroup-based detection.
//
// libsinsp e5c53d64 (Debian libfalcosecurity0) fills only m_id, m_name, m_image and m_type=CT_STATIC for a static
// container; it does not split the image, so container.image.repository, .tag, .digest and .id stay empty
// (<NA>) unless the bridge replaces the container entry with one that carries ImageRepository, ImageTag,
// ImageDigest and ImageID from this package.
package container

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// EnvMetadataURIV4 is the variable the ECS agent injects into every container of a task (Fargate platform
// 1.4.0+, EC2 agent 1.39.0+).
const EnvMetadataURIV4 = "ECS_CONTAINER_METADATA_URI_V4"

// DefaultTimeout is the whole budget for the metadata endpoint (both requests run concurrently under it); the
// real endpoint answers in milliseconds. MaxTimeout caps Options.Timeout: detection must not wait longer.
const (
	DefaultTimeout = 800 * time.Millisecond
	MaxTimeout     = time.Second
)

// Source says where the container identity came from.
type Source string

const (
	SourceECSMetadata Source = "ecs-metadata" // the metadata endpoint answered (explicit values may still override fields)
	SourceFlags       Source = "flags"        // explicit values only (flags or config)
	SourceNone        Source = "none"         // nothing known: leave container detection to libsinsp (cgroups)
)

// Options are the inputs of Resolve. The zero value reads the metadata URI from the environment.
type Options struct {
	// Explicit values from flags or config; each non-empty one overrides what the metadata says.
	ID, Name, Image string
	// MetadataURI is the v4 endpoint; "" means os.Getenv(EnvMetadataURIV4).
	MetadataURI string
	// SkipMetadata disables the endpoint even when the environment names one.
	SkipMetadata bool
	// Timeout for the endpoint; 0 means DefaultTimeout, values above MaxTimeout are capped.
	Timeout time.Duration
	// CgroupFile is read for an id when only a name or image is known; "" means DefaultCgroupFile.
	CgroupFile string
}

// Identity is the resolved container and ECS task identity. Empty strings are unknown values.
type Identity struct {
	// ID is what container.id shows: 12 hex digits for a Docker-style 64-digit id (as libsinsp's docker engine),
	// ECS Fargate's "<task-id>-<n>" as is, an explicit --container-id as given.
	ID string
	// FullID is the untruncated id (equal to ID unless ID was shortened).
	FullID           string
	Name             string
	Image            string
	ImageID          string // metadata ImageID without its "sha256:" prefix, as libsinsp's docker engine fills container.image.id
	ImageRepository  string // see ParseImage
	ImageTag         string
	ImageDigest      string
	Labels           map[string]string // container labels from the metadata (com.amazonaws.ecs.*)
	TaskARN          string
	Family           string
	Revision         string
	Cluster          string // ARN on Fargate, short name on EC2, as the endpoint reports it
	AvailabilityZone string
	LaunchType       string // "FARGATE" or "EC2"
	Source           Source
}

// Known reports whether a container id is known, i.e. whether libsinsp should be created with a static
// container for it. When false, libsinsp's own cgroup-based detection applies.
func (id Identity) Known() bool { return id.ID != "" }

// Resolve builds the container identity. It never blocks longer than the metadata timeout (<= MaxTimeout) and
// never fails: the returned Identity is always usable. A non-nil error is a warning, at most one per call,
// of type *MetadataError (errors.Is: ErrMetadataUnreachable, ErrMetadataTimeout, ErrMetadataStatus,
// ErrMetadataInvalid, ErrMetadataIncomplete, ErrMetadataBadURI); the caller logs it once and carries on.
// Without a metadata URI and without explicit values the result is Source "none" and no warning.
func Resolve(ctx context.Context, opts Options) (Identity, error) {
	opts.ID, opts.Name, opts.Image = strings.TrimSpace(opts.ID), strings.TrimSpace(opts.Name), strings.TrimSpace(opts.Image)
	uri := strings.TrimSpace(opts.MetadataURI)
	if uri == "" && !opts.SkipMetadata {
		uri = strings.TrimSpace(os.Getenv(EnvMetadataURIV4))
	}
	if opts.SkipMetadata {
		uri = ""
	}

	var (
		id      Identity
		warning error
		fromMD  bool
	)
	if uri != "" {
		timeout := opts.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		timeout = min(timeout, MaxTimeout)
		fetchCtx, cancel := context.WithTimeout(ctx, timeout)
		md, err := fetchMetadata(fetchCtx, uri)
		cancel()
		warning = err
		fromMD = applyMetadata(&id, md, opts)
		if err == nil && id.FullID == "" && opts.ID == "" {
			warning = &MetadataError{URI: uri, Failed: []string{"container"},
				Err: fmt.Errorf("GET %s: %w", uri, ErrMetadataIncomplete)}
		}
	}

	explicit := opts.ID != "" || opts.Name != "" || opts.Image != ""
	if opts.ID != "" {
		id.ID, id.FullID = opts.ID, opts.ID
	}
	if opts.Name != "" {
		id.Name = opts.Name
	}
	if opts.Image != "" {
		if opts.Image != id.Image {
			// The metadata's ImageID describes the metadata's image, not the one given explicitly.
			id.ImageID = ""
		}
		id.Image = opts.Image
	}

	if id.ID == "" && (id.Name != "" || id.Image != "") {
		id.FullID = fallbackID(opts, id)
		id.ID = ShortID(id.FullID)
	}
	ref := ParseImage(id.Image)
	id.ImageRepository, id.ImageTag, id.ImageDigest = ref.Repository, ref.Tag, ref.Digest

	switch {
	case fromMD:
		id.Source = SourceECSMetadata
	case explicit:
		id.Source = SourceFlags
	default:
		id.Source = SourceNone
	}
	return id, warning
}

// applyMetadata copies what the endpoints yielded into id and reports whether anything came from them.
func applyMetadata(id *Identity, md metadataResult, opts Options) bool {
	c := md.container
	if c == nil || (c.DockerID == "" && c.Name == "" && c.Image == "") {
		c = pickTaskContainer(md.task, opts.ID, opts.Name)
	}
	used := false
	if c != nil {
		name := c.Name
		if name == "" {
			name = c.Labels[labelContainerName]
		}
		if name == "" {
			name = c.DockerName
		}
		id.FullID, id.ID = c.DockerID, ShortID(c.DockerID)
		id.Name, id.Image, id.ImageID = name, c.Image, imageIDHex(c.ImageID)
		if len(c.Labels) > 0 {
			id.Labels = c.Labels
		}
		id.TaskARN = c.Labels[labelTaskARN]
		id.Cluster = c.Labels[labelCluster]
		id.Family = c.Labels[labelTaskFamily]
		id.Revision = c.Labels[labelTaskRevision]
		used = id.FullID != "" || name != "" || c.Image != "" || len(c.Labels) > 0
	}
	if t := md.task; t != nil {
		// The task endpoint is authoritative for task fields; labels are the fallback when it failed.
		setIf(&id.TaskARN, t.TaskARN)
		setIf(&id.Cluster, t.Cluster)
		setIf(&id.Family, t.Family)
		setIf(&id.Revision, t.Revision)
		setIf(&id.AvailabilityZone, t.AvailabilityZone)
		setIf(&id.LaunchType, t.LaunchType)
		used = used || t.TaskARN != "" || t.Cluster != "" || t.Family != ""
	}
	return used
}

// imageIDHex drops the algorithm prefix of "sha256:<hex>", as libsinsp does for a Docker image id.
func imageIDHex(imageID string) string {
	if _, hex, ok := strings.Cut(imageID, ":"); ok {
		return hex
	}
	return imageID
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// fallbackID gives a container id when a name or image is known but no id: the cgroup's container id, else
// the name, else the image. Any non-empty id makes libsinsp attribute every thread to the container, which is
// what makes the container-gated rules apply.
func fallbackID(opts Options, id Identity) string {
	cgroupFile := opts.CgroupFile
	if cgroupFile == "" {
		cgroupFile = DefaultCgroupFile
	}
	if cg := idFromCgroupFile(cgroupFile); cg != "" {
		return cg
	}
	if id.Name != "" {
		return id.Name
	}
	return id.Image
}
