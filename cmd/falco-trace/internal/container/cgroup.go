package container

import (
	"bufio"
	"io"
	"os"
	"strings"
)

// DefaultCgroupFile is read by Resolve to find a container id when only a name or image is known.
const DefaultCgroupFile = "/proc/self/cgroup"

// IDFromCgroup returns the container id found in the last component of a cgroup path listed in r
// (/proc/<pid>/cgroup format), or "" when none looks like one. Recognised components:
//   - 64 hex digits (Docker, containerd, ECS on EC2: ".../ecs/<task>/<64hex>");
//   - "docker-<64hex>.scope", "cri-containerd-<64hex>.scope", ... (systemd cgroup driver): the 64 digits;
//   - "<32hex>-<digits>" (ECS on Fargate: "/ecs/<task>/<task>-<n>"), as ECS reports it in DockerId.
//
// The id is returned in full; ShortID gives the form libsinsp shows in container.id.
//
// libsinsp recognises the first two itself when it can see the cgroups; the Fargate form is the one it misses.
func IDFromCgroup(r io.Reader) string {
	scanner := bufio.NewScanner(r)
	for scanner.Scan() {
		// hierarchy-ID:controller-list:cgroup-path; the path may itself contain ':'.
		parts := strings.SplitN(scanner.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		path := strings.TrimRight(parts[2], "/")
		last := path[strings.LastIndexByte(path, '/')+1:]
		if id := idFromCgroupComponent(last); id != "" {
			return id
		}
	}
	return ""
}

func idFromCgroupComponent(component string) string {
	for _, prefix := range []string{"docker-", "cri-containerd-", "crio-", "libpod-"} {
		if strings.HasPrefix(component, prefix) && strings.HasSuffix(component, ".scope") {
			component = strings.TrimSuffix(strings.TrimPrefix(component, prefix), ".scope")
			break
		}
	}
	if len(component) == 64 && isHex(component) {
		return component
	}
	if task, n, ok := strings.Cut(component, "-"); ok && len(task) == 32 && isHex(task) && n != "" && isDigits(n) {
		return component
	}
	return ""
}

func idFromCgroupFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		// No cgroup file (not Linux, or a restricted /proc): there is simply no id to find.
		return ""
	}
	defer f.Close()
	return IDFromCgroup(f)
}

// ShortID maps a 64-hex Docker id to the 12-digit form libsinsp shows in container.id; other ids (Fargate's
// "<task>-<n>", ids given by the user) are returned unchanged.
func ShortID(id string) string {
	if len(id) == 64 && isHex(id) {
		return id[:12]
	}
	return id
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
