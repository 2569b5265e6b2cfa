package container

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of metadata failure. Resolve never fails because of them: it returns the identity it could build and a
// *MetadataError wrapping one of these, which the caller logs once as a warning.
var (
	ErrMetadataUnreachable = errors.New("metadata endpoint unreachable")
	ErrMetadataTimeout     = errors.New("metadata endpoint did not answer in time")
	ErrMetadataStatus      = errors.New("metadata endpoint returned an error status")
	ErrMetadataInvalid     = errors.New("metadata response is not a valid JSON object")
	ErrMetadataIncomplete  = errors.New("metadata response lacks the container id")
	ErrMetadataBadURI      = errors.New("metadata URI is not an http(s) URL")
)

// MetadataError is the single warning Resolve returns when the ECS task metadata endpoint could not be used in
// full. URI is the endpoint base; Failed lists the endpoints that failed ("container", "task"); Err is the
// first failure (its text names the URL) and wraps one of the ErrMetadata* sentinels.
type MetadataError struct {
	URI    string
	Failed []string
	Err    error
}

func (e *MetadataError) Error() string {
	which := strings.Join(e.Failed, " and ") + " endpoint"
	if len(e.Failed) > 1 {
		which += "s"
	}
	return fmt.Sprintf("ECS task metadata (%s): %v; continuing with the identity known so far", which, e.Err)
}

func (e *MetadataError) Unwrap() error { return e.Err }

// StatusError carries the HTTP status of a non-200 answer; it wraps ErrMetadataStatus.
type StatusError struct {
	Endpoint string
	Code     int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d: %v", e.Endpoint, e.Code, ErrMetadataStatus)
}

func (e *StatusError) Unwrap() error { return ErrMetadataStatus }
