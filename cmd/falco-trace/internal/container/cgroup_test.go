package container

import (
	"strings"
	"testing"
)

func TestIDFromCgroup(t *testing.T) {
	const hex64 = "e4a8c1d2b3f4a5b6c7d8e9f00112233445566778899aabbccddeeff001122334"
	const fargate = "9f1c2e7a4b8d4c51a3e6d0b2f7c9e184-1834271952"
	tests := []struct {
		name   string
		cgroup string
		want   string
	}{
		{"Fargate cgroup v2", "0::/ecs/9f1c2e7a4b8d4c51a3e6d0b2f7c9e184/" + fargate + "\n", fargate},
		{"Fargate cgroup v1", "11:memory:/ecs/9f1c2e7a4b8d4c51a3e6d0b2f7c9e184/" + fargate + "\n1:cpu:/ecs/9f1c2e7a4b8d4c51a3e6d0b2f7c9e184/" + fargate + "\n", fargate},
		{"Docker cgroup v1", "12:pids:/docker/" + hex64 + "\n", hex64},
		{"ECS on EC2", "9:cpu,cpuacct:/ecs/5d2c7e1f0a9b48c6b3e4d5f6a7b8c9d0/" + hex64 + "\n", hex64},
		{"systemd docker scope", "0::/system.slice/docker-" + hex64 + ".scope\n", hex64},
		{"systemd containerd scope", "0::/kubepods.slice/cri-containerd-" + hex64 + ".scope\n", hex64},
		{"host root", "0::/\n", ""},
		{"32 hex without number is not an id", "4:memory:/process_api/ef3bbef5160dd3a9900a699ca4f9b2ed\n", ""},
		{"user session", "0::/user.slice/user-1000.slice/session-3.scope\n", ""},
		{"malformed lines", "garbage\n\n:::\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IDFromCgroup(strings.NewReader(tt.cgroup)); got != tt.want {
				t.Errorf("%s: IDFromCgroup(%q) = %q, want %q", tt.name, tt.cgroup, got, tt.want)
			}
		})
	}
}

func TestShortID(t *testing.T) {
	tests := []struct{ name, id, want string }{
		{"docker 64 hex", "e4a8c1d2b3f4a5b6c7d8e9f00112233445566778899aabbccddeeff001122334", "e4a8c1d2b3f4"},
		{"fargate kept", "9f1c2e7a4b8d4c51a3e6d0b2f7c9e184-1834271952", "9f1c2e7a4b8d4c51a3e6d0b2f7c9e184-1834271952"},
		{"user id kept", "my-app", "my-app"},
		{"64 non-hex kept", strings.Repeat("z", 64), strings.Repeat("z", 64)},
	}
	for _, tt := range tests {
		if got := ShortID(tt.id); got != tt.want {
			t.Errorf("%s: ShortID(%q) = %q, want %q", tt.name, tt.id, got, tt.want)
		}
	}
}
