package checkpoint

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/state"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata scripts")

// Coordinator scripts (testdata/coordinator/*.txt) are blocks:
//
//	command args...
//	----
//	expected output lines (the returned actions, one a line)
//	<blank line>
//
// Times are milliseconds since the start of the script. Every command
// except new and tick may end in @T to move the clock to T first;
// otherwise it runs at the clock's current time.
//
//	new [interval=D] [timeout=D] [min-pause=D] [max-concurrent=N]
//	    [tolerable=N] [last=N] tasks=op/i,op/i...   start a coordinator at 0
//	tick T                      Tick at T
//	savepoint | stop-savepoint | checkpoint
//	                            TriggerSavepoint / TriggerStopSavepoint /
//	                            TriggerCheckpoint
//	ack ID op/i [size=N] [incr=N] [channel=N]
//	decline ID op/i REASON...
//	abort ID REASON...
//	stored ID [ERROR...]        Stored(ID, nil) or Stored(ID, error); ERROR
//	                            "held-back" is ErrHeldBack
//	stop [REASON...]
//	state                       in flight, last completed, next deadline
type block struct {
	comments []string
	line     int
	cmd      string
	args     []string
	expected []string
}

func parseScript(t *testing.T, path string) []block {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []block
	var comments []string
	var cur *block
	inExpected := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil:
			if strings.HasPrefix(line, "#") {
				comments = append(comments, line)
				continue
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			fields := strings.Fields(line)
			blocks = append(blocks, block{comments: comments, line: n, cmd: fields[0], args: fields[1:]})
			comments = nil
			cur = &blocks[len(blocks)-1]
			inExpected = false
		case !inExpected:
			if line != "----" {
				t.Fatalf("%s:%d: expected ----, got %q", path, n, line)
			}
			inExpected = true
		default:
			if strings.TrimSpace(line) == "" {
				cur = nil
				continue
			}
			cur.expected = append(cur.expected, line)
		}
	}
	if cur != nil && !inExpected {
		t.Fatalf("%s:%d: block without ----", path, cur.line)
	}
	return blocks
}

func writeScript(t *testing.T, path string, blocks []block) {
	var b strings.Builder
	for i, bl := range blocks {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, c := range bl.comments {
			b.WriteString(c + "\n")
		}
		b.WriteString(strings.Join(append([]string{bl.cmd}, bl.args...), " ") + "\n----\n")
		for _, l := range bl.expected {
			b.WriteString(l + "\n")
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCoordinatorScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/coordinator/*.txt")
	if len(files) == 0 {
		t.Fatal("no scripts")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			blocks := parseScript(t, path)
			failed := false
			for i := range blocks {
				bl := &blocks[i]
				got, err := runCommand(bl)
				if err != nil {
					t.Fatalf("%s:%d: %v", path, bl.line, err)
				}
				if *rewrite {
					bl.expected = got
					continue
				}
				if strings.Join(got, "\n") != strings.Join(bl.expected, "\n") {
					failed = true
					t.Errorf("%s:%d: %s %s\ngot:\n%s\nwant:\n%s", path, bl.line, bl.cmd, strings.Join(bl.args, " "),
						strings.Join(got, "\n"), strings.Join(bl.expected, "\n"))
				}
			}
			if *rewrite {
				writeScript(t, path, blocks)
			} else if failed {
				t.Log("run go test ./checkpoint -run TestCoordinatorScripts -rewrite to accept the new output")
			}
		})
	}
}

// scriptState is the coordinator under test and the script's clock.
var script struct {
	c   *Coordinator
	now int64
}

var epoch = time.UnixMilli(1_700_000_000_000)

func at(ms int64) time.Time { return epoch.Add(time.Duration(ms) * time.Millisecond) }

func runCommand(bl *block) ([]string, error) {
	args := bl.args
	if n := len(args); n > 0 && strings.HasPrefix(args[n-1], "@") {
		ms, err := strconv.ParseInt(args[n-1][1:], 10, 64)
		if err != nil {
			return nil, err
		}
		script.now = ms
		args = args[:n-1]
	}
	c, now := script.c, at(script.now)
	if c == nil && bl.cmd != "new" {
		return nil, fmt.Errorf("%s before new", bl.cmd)
	}
	var acts []Action
	var lines []string
	switch bl.cmd {
	case "new":
		cfg, tasks, last, err := parseNew(args)
		if err != nil {
			return nil, err
		}
		script.now = 0
		script.c = NewCoordinator(cfg, tasks, last, at(0))
	case "tick":
		ms, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return nil, err
		}
		script.now = ms
		acts = c.Tick(at(ms))
	case "savepoint", "stop-savepoint", "checkpoint":
		trig := c.TriggerCheckpoint
		switch bl.cmd {
		case "savepoint":
			trig = c.TriggerSavepoint
		case "stop-savepoint":
			trig = c.TriggerStopSavepoint
		}
		id, a, err := trig(now)
		if err != nil {
			lines = append(lines, "error: "+err.Error())
		} else {
			lines = append(lines, fmt.Sprintf("id %d", id))
		}
		acts = a
	case "ack":
		id, task, err := idTask(args)
		if err != nil {
			return nil, err
		}
		st := TaskState{OperatorID: task.OperatorID, Instance: task.Instance}
		for _, kv := range args[2:] {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("ack: %s: %v", kv, err)
			}
			switch k {
			case "size", "incr":
				if st.Keyed == nil {
					st.Keyed = &state.Handle{OperatorID: task.OperatorID, Instance: task.Instance}
				}
				if k == "size" {
					st.Keyed.Size = n
				} else {
					st.Keyed.IncrementalSize = n
				}
			case "channel":
				st.Channels = append(st.Channels, ChannelState{Size: n})
			default:
				return nil, fmt.Errorf("ack: unknown %s", k)
			}
		}
		acts = c.Ack(id, st, now)
	case "decline":
		id, task, err := idTask(args)
		if err != nil {
			return nil, err
		}
		acts = c.Decline(id, task, errors.New(strings.Join(args[2:], " ")), now)
	case "abort":
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return nil, err
		}
		acts = c.Abort(id, errors.New(strings.Join(args[1:], " ")), now)
	case "stored":
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return nil, err
		}
		var serr error
		switch {
		case len(args) > 1 && args[1] == "held-back":
			serr = ErrHeldBack
		case len(args) > 1:
			serr = errors.New(strings.Join(args[1:], " "))
		}
		acts = c.Stored(id, serr, now)
	case "stop":
		var reason error
		if len(args) > 0 {
			reason = errors.New(strings.Join(args, " "))
		}
		acts = c.Stop(reason)
	case "state":
		lines = append(lines, fmt.Sprintf("in-flight=%v last-id=%d last-completed=%d stopped=%v", c.InFlight(), c.LastID(), c.LastCompleted(), c.Stopped()))
		if d, ok := c.NextDeadline(); ok {
			lines = append(lines, fmt.Sprintf("next-deadline=%d", d.Sub(epoch).Milliseconds()))
		} else {
			lines = append(lines, "next-deadline=none")
		}
	default:
		return nil, fmt.Errorf("unknown command %q", bl.cmd)
	}
	for _, a := range acts {
		lines = append(lines, formatAction(a))
	}
	return lines, nil
}

func formatAction(a Action) string {
	switch a := a.(type) {
	case Trigger:
		return fmt.Sprintf("%s at=%d", a, a.At.Sub(epoch).Milliseconds())
	case Persist:
		md := a.Metadata
		var ops []string
		for _, op := range md.Operators {
			var inst []string
			for _, t := range op.Tasks {
				inst = append(inst, strconv.Itoa(t.Instance))
			}
			ops = append(ops, fmt.Sprintf("%s(p=%d)[%s]", op.ID, op.Parallelism, strings.Join(inst, ",")))
		}
		return fmt.Sprintf("%s triggered=%d completed=%d size=%d incr=%d ops=%s", a,
			md.TriggeredAt-epoch.UnixMilli(), md.CompletedAt-epoch.UnixMilli(), md.Size, md.IncrementalSize, strings.Join(ops, " "))
	case Abort:
		var acked []string
		for _, st := range a.Acked {
			acked = append(acked, TaskID{st.OperatorID, st.Instance}.String())
		}
		if len(acked) == 0 {
			acked = []string{"none"}
		}
		return fmt.Sprintf("%s (acked: %s)", a, strings.Join(acked, " "))
	}
	return a.String()
}

func idTask(args []string) (int64, TaskID, error) {
	if len(args) < 2 {
		return 0, TaskID{}, fmt.Errorf("want ID op/instance")
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return 0, TaskID{}, err
	}
	task, err := parseTask(args[1])
	return id, task, err
}

func parseTask(s string) (TaskID, error) {
	op, inst, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(inst)
	if !ok || err != nil {
		return TaskID{}, fmt.Errorf("bad task %q (want op/instance)", s)
	}
	return TaskID{op, n}, nil
}

func parseNew(args []string) (Config, []TaskID, int64, error) {
	var cfg Config
	var tasks []TaskID
	var last int64
	for _, kv := range args {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "interval":
			cfg.Interval, err = time.ParseDuration(v)
		case "timeout":
			cfg.Timeout, err = time.ParseDuration(v)
		case "min-pause":
			cfg.MinPause, err = time.ParseDuration(v)
		case "max-concurrent":
			cfg.MaxConcurrent, err = strconv.Atoi(v)
		case "tolerable":
			cfg.TolerableFailures, err = strconv.Atoi(v)
		case "last":
			last, err = strconv.ParseInt(v, 10, 64)
		case "tasks":
			for _, s := range strings.Split(v, ",") {
				var task TaskID
				if task, err = parseTask(s); err != nil {
					break
				}
				tasks = append(tasks, task)
			}
		default:
			err = fmt.Errorf("unknown option %q", k)
		}
		if err != nil {
			return cfg, nil, 0, fmt.Errorf("new: %s: %v", kv, err)
		}
	}
	return cfg, tasks, last, nil
}
