package sinsp

import (
	"testing"
	"time"
)

// TestStaticContainer checks that with NewWithContainer every thread
// resolves to the given container, including the image parts that this libsinsp's static engine alone leaves empty.
func TestStaticContainer(t *testing.T) {
	tests := []struct {
		name string
		c    Container
		want string
	}{
		{
			name: "fargate task container",
			c: Container{
				ID: "0123456789abcdef0123456789abcdef-1234567890", Name: "web",
				Image:           "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2",
				ImageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web", ImageTag: "1.4.2",
				ImageDigest: "sha256:abcd", ImageID: "abcd",
			},
			want: "0123456789abcdef0123456789abcdef-1234567890 web 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2 " +
				"123456789012.dkr.ecr.us-east-1.amazonaws.com/web 1.4.2 sha256:abcd",
		},
		{
			name: "id and name only",
			c:    Container{ID: "abc123", Name: "app"},
			want: "abc123 app <NA> <NA> <NA> <NA>",
		},
	}
	const format = "%container.id %container.name %container.image %container.image.repository " +
		"%container.image.tag %container.image.digest"
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			actor := newActor(t)
			insp, err := NewWithContainer(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			defer insp.Close()
			if err := insp.OpenUdig(newRingID(t)); err != nil {
				t.Fatal(err)
			}
			filter, err := insp.CompileFilter(`container.id = "` + tc.c.ID + `"`)
			if err != nil {
				t.Fatal(err)
			}
			if err := insp.SetEventPrinter("*"+format, filter, false); err != nil {
				t.Fatal(err)
			}
			w := openRingWriter(t, insp.ringID)
			for _, ev := range testEvents(time.Now(), actor, "/etc/ft-container", 5) {
				w.write(t, ev)
			}
			b := drain(t, insp, 2)
			if len(b.Printed) == 0 {
				t.Fatalf("%s: no event matched container.id=%s (read %d events)", tc.name, tc.c.ID, b.Events)
			}
			for _, line := range b.Printed {
				if line != tc.want {
					t.Errorf("%s: printed %q, want %q", tc.name, line, tc.want)
				}
			}
		})
	}
	if _, err := NewWithContainer(Container{Name: "no-id"}); err == nil {
		t.Error("NewWithContainer without an id: want an error")
	}
}
