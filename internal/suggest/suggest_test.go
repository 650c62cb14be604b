package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"kafak", "kafka", 2}, {"kitten", "sitting", 3}, {"print", "print", 0}, {"", "abc", 3}} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"blackhole", "datagen", "filesystem", "jdbc", "kafka", "memory", "print"}
	for _, c := range []struct{ name, want string }{
		{"kafak", "kafka"}, {"KAFKA", "kafka"}, {"prnt", "print"}, {"datagn", "datagen"},
		{"xyz", ""}, {"postgres", ""}, {"a", ""},
	} {
		if got := Closest(c.name, names); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}
