package container

import "sort"

// Names of the extra alert output fields that carry the ECS task identity. They are not libsinsp fields (a
// rule output cannot reference them); the CLI adds them to every alert's output_fields, where Falco puts
// k8s/container context, so that JSON consumers can tell tasks apart.
const (
	FieldTaskARN          = "ecs.task_arn"
	FieldTaskFamily       = "ecs.task_family"
	FieldTaskRevision     = "ecs.task_revision"
	FieldCluster          = "ecs.cluster"
	FieldAvailabilityZone = "ecs.availability_zone"
	FieldLaunchType       = "ecs.launch_type"
)

// OutputFields returns the known ECS task identity as extra alert output fields (keys Field*), omitting
// unknown values. It returns nil when no task identity is known (not running in ECS).
func (id Identity) OutputFields() map[string]string {
	candidates := []struct{ key, value string }{
		{FieldTaskARN, id.TaskARN},
		{FieldTaskFamily, id.Family},
		{FieldTaskRevision, id.Revision},
		{FieldCluster, id.Cluster},
		{FieldAvailabilityZone, id.AvailabilityZone},
		{FieldLaunchType, id.LaunchType},
	}
	var fields map[string]string
	for _, c := range candidates {
		if c.value == "" {
			continue
		}
		if fields == nil {
			fields = make(map[string]string, len(candidates))
		}
		fields[c.key] = c.value
	}
	return fields
}

// Tags returns the same identity as alert tags "<field>=<value>" (for example "ecs.cluster=prod"), sorted by
// field name, for outputs that route on tags. It returns nil when no task identity is known.
func (id Identity) Tags() []string {
	fields := id.OutputFields()
	if len(fields) == 0 {
		return nil
	}
	tags := make([]string, 0, len(fields))
	for k, v := range fields {
		tags = append(tags, k+"="+v)
	}
	sort.Strings(tags)
	return tags
}
