package container

import "strings"

// ImageRef is an image reference split the way libsinsp's docker engine fills container.image.repository,
// container.image.tag and container.image.digest (libs e5c53d64: sinsp_utils::split_container_image with
// split_repo=false, then tag "latest" when none was given).
type ImageRef struct {
	// Repository keeps the registry host and port: "123.dkr.ecr.us-east-1.amazonaws.com/app", "nginx".
	// It is not normalised to "docker.io/library/nginx", because libsinsp does not do it either.
	Repository string
	// Tag is "latest" when the reference names no tag, digest-only references included (as libsinsp does).
	Tag string
	// Digest is the part after '@' ("sha256:..."), empty when the reference has none.
	Digest string
}

// ParseImage splits an image reference into repository, tag and digest. A ':' counts as a tag separator only
// after the last '/', so registry ports ("localhost:5000/x/y") are kept in the repository. An empty or blank
// reference yields the zero ImageRef (no "latest" for an image that is not known).
func ParseImage(ref string) ImageRef {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ImageRef{}
	}
	var out ImageRef
	name := ref
	if at := strings.IndexByte(ref, '@'); at >= 0 {
		name, out.Digest = ref[:at], ref[at+1:]
	}
	lastSlash := strings.LastIndexByte(name, '/')
	if colon := strings.LastIndexByte(name, ':'); colon > lastSlash {
		name, out.Tag = name[:colon], name[colon+1:]
	}
	out.Repository = name
	if out.Tag == "" {
		out.Tag = "latest"
	}
	return out
}
