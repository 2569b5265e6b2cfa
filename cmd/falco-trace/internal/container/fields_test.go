package container

import (
	"reflect"
	"testing"
)

func TestOutputFieldsAndTags(t *testing.T) {
	tests := []struct {
		name       string
		id         Identity
		wantFields map[string]string
		wantTags   []string
	}{
		{
			name: "Fargate task",
			id:   wantFargate,
			wantFields: map[string]string{
				"ecs.task_arn":          fargateTaskARN,
				"ecs.task_family":       "shop-web",
				"ecs.task_revision":     "17",
				"ecs.cluster":           fargateCluster,
				"ecs.availability_zone": "eu-west-1b",
				"ecs.launch_type":       "FARGATE",
			},
			wantTags: []string{
				"ecs.availability_zone=eu-west-1b",
				"ecs.cluster=" + fargateCluster,
				"ecs.launch_type=FARGATE",
				"ecs.task_arn=" + fargateTaskARN,
				"ecs.task_family=shop-web",
				"ecs.task_revision=17",
			},
		},
		{
			name:       "partial task identity omits unknown values",
			id:         Identity{ID: "x", Family: "shop-web", Revision: "4"},
			wantFields: map[string]string{"ecs.task_family": "shop-web", "ecs.task_revision": "4"},
			wantTags:   []string{"ecs.task_family=shop-web", "ecs.task_revision=4"},
		},
		{
			name: "not in ECS",
			id:   Identity{ID: "abc", Name: "app", Source: SourceFlags},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id.OutputFields(); !reflect.DeepEqual(got, tt.wantFields) {
				t.Errorf("%s: OutputFields() = %v, want %v", tt.name, got, tt.wantFields)
			}
			if got := tt.id.Tags(); !reflect.DeepEqual(got, tt.wantTags) {
				t.Errorf("%s: Tags() = %v, want %v", tt.name, got, tt.wantTags)
			}
		})
	}
}
