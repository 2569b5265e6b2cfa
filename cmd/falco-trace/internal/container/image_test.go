package container

import "testing"

func TestParseImage(t *testing.T) {
	const digest = "sha256:9b2a4c8e1f0d3a5b7c9e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e"
	tests := []struct {
		name string
		ref  string
		want ImageRef
	}{
		{"empty", "", ImageRef{}},
		{"blank", "  ", ImageRef{}},
		{"bare name gets latest", "nginx", ImageRef{Repository: "nginx", Tag: "latest"}},
		{"name and tag", "nginx:1.25", ImageRef{Repository: "nginx", Tag: "1.25"}},
		{"surrounding space", " nginx:1.25 ", ImageRef{Repository: "nginx", Tag: "1.25"}},
		{"docker hub namespace", "library/nginx:1.25-alpine", ImageRef{Repository: "library/nginx", Tag: "1.25-alpine"}},
		{"ECR host kept in repository", "123.dkr.ecr.us-east-1.amazonaws.com/app:1.2",
			ImageRef{Repository: "123.dkr.ecr.us-east-1.amazonaws.com/app", Tag: "1.2"}},
		{"nested ECR repository", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:2.4.1",
			ImageRef{Repository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web", Tag: "2.4.1"}},
		{"registry port is not a tag", "localhost:5000/x/y", ImageRef{Repository: "localhost:5000/x/y", Tag: "latest"}},
		{"registry port and tag", "localhost:5000/x/y:v2", ImageRef{Repository: "localhost:5000/x/y", Tag: "v2"}},
		{"registry port and digest", "localhost:5000/x/y@" + digest,
			ImageRef{Repository: "localhost:5000/x/y", Tag: "latest", Digest: digest}},
		{"tag and digest", "localhost:5000/x/y:v2@" + digest,
			ImageRef{Repository: "localhost:5000/x/y", Tag: "v2", Digest: digest}},
		{"digest only", "nginx@" + digest, ImageRef{Repository: "nginx", Tag: "latest", Digest: digest}},
		{"IPv6 registry", "[::1]:5000/app:1", ImageRef{Repository: "[::1]:5000/app", Tag: "1"}},
		{"IPv6 registry no tag", "[::1]:5000/app", ImageRef{Repository: "[::1]:5000/app", Tag: "latest"}},
		{"public ECR", "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
			ImageRef{Repository: "public.ecr.aws/aws-observability/aws-for-fluent-bit", Tag: "stable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseImage(tt.ref); got != tt.want {
				t.Errorf("%s: ParseImage(%q) = %+v, want %+v", tt.name, tt.ref, got, tt.want)
			}
		})
	}
}
