package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
)

const (
	replicaWorkJobs    = 4
	replicaWorkPeriods = 10
	replicaBlockKey    = "block:the-one"
)

// replicaJobs are the jobs every replica process schedules: work-N jobs over
// fixed periods, and "block", whose run waits until the test releases it.
// Each run records itself in the runs table.
func replicaJobs(pool *pgxpool.Pool, schema, owner string) []Job {
	q := func(s string) string { return fmt.Sprintf(s, `"`+schema+`"`) }
	record := func(ctx context.Context, key string, work func(context.Context) error) error {
		var id int64
		if err := pool.QueryRow(ctx, q(`INSERT INTO %s.runs (key, owner) VALUES ($1, $2) RETURNING id`), key, owner).Scan(&id); err != nil {
			return err
		}
		if err := work(ctx); err != nil {
			return err
		}
		_, err := pool.Exec(ctx, q(`UPDATE %s.runs SET finished_at = clock_timestamp() WHERE id = $1`), id)
		return err
	}
	var jobs []Job
	for n := range replicaWorkJobs {
		name := fmt.Sprintf("work-%d", n)
		jobs = append(jobs, Job{
			Name: name,
			Due: func(context.Context, time.Time) ([]Period, error) {
				var ps []Period
				for i := range replicaWorkPeriods {
					ps = append(ps, Period{Key: fmt.Sprintf("p%02d", i)})
				}
				return ps, nil
			},
			Run: func(ctx context.Context, p Period) error {
				return record(ctx, Key(name, p), func(ctx context.Context) error {
					time.Sleep(5 * time.Millisecond) // long enough for the replicas to contend
					return nil
				})
			},
		})
	}
	jobs = append(jobs, Job{
		Name: "block",
		Due: func(context.Context, time.Time) ([]Period, error) {
			return []Period{{Key: "the-one"}}, nil
		},
		Run: func(ctx context.Context, p Period) error {
			return record(ctx, Key("block", p), func(ctx context.Context) error {
				for {
					var released bool
					if err := pool.QueryRow(ctx, q(`SELECT released FROM %s.ctl`)).Scan(&released); err != nil {
						return err
					}
					if released {
						return nil
					}
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(20 * time.Millisecond):
					}
				}
			})
		},
	})
	return jobs
}

// TestHelperReplica is one replica process of TestPostgresReplicas; it does
// nothing unless started by it.
func TestHelperReplica(t *testing.T) {
	if os.Getenv("VINVENTORY_JOBS_HELPER") != "1" {
		t.Skip("helper process for TestPostgresReplicas")
	}
	schema, owner := os.Getenv("VINVENTORY_JOBS_SCHEMA"), os.Getenv("VINVENTORY_JOBS_OWNER")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	pool, err := pgxpool.New(ctx, os.Getenv("VINVENTORY_TEST_PG_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	coord, err := NewPostgres(ctx, pool, PostgresOptions{Schema: schema, Owner: owner, LockCheckInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	logger, _ := zap.NewDevelopment()
	s, err := New(coord, replicaJobs(pool, schema, owner), Options{
		Logger: logger.With(zap.String("replica", owner)), Owner: owner,
		PollInterval: 50 * time.Millisecond, RetryBackoff: 100 * time.Millisecond, Concurrency: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

type replica struct {
	owner string
	cmd   *exec.Cmd
	out   *syncBuffer
	exit  chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPostgresReplicas runs two replica processes over the same jobs and
// database: every key completes exactly once across them; then the replica
// running the blocking key is killed with SIGKILL mid-run and the survivor
// takes the key over and completes it, and nothing ran twice to completion.
func TestPostgresReplicas(t *testing.T) {
	pool, schema := pgPool(t)
	ctx := context.Background()
	if _, err := NewPostgres(ctx, pool, PostgresOptions{Schema: schema}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE "%s".runs (id bigserial PRIMARY KEY, key text NOT NULL, owner text NOT NULL,
			started_at timestamptz NOT NULL DEFAULT clock_timestamp(), finished_at timestamptz)`,
		`CREATE TABLE "%s".ctl (released bool NOT NULL)`,
		`INSERT INTO "%s".ctl VALUES (false)`,
	} {
		if _, err := pool.Exec(ctx, fmt.Sprintf(stmt, schema)); err != nil {
			t.Fatal(err)
		}
	}
	replicas := map[string]*replica{}
	for _, owner := range []string{"replica-a", "replica-b"} {
		r := &replica{owner: owner, out: &syncBuffer{}, exit: make(chan error, 1)}
		r.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperReplica$", "-test.count=1")
		r.cmd.Env = append(os.Environ(), "VINVENTORY_JOBS_HELPER=1", "VINVENTORY_JOBS_SCHEMA="+schema, "VINVENTORY_JOBS_OWNER="+owner)
		r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { r.exit <- r.cmd.Wait() }()
		replicas[owner] = r
		t.Cleanup(func() {
			r.cmd.Process.Kill()
			<-r.exit
			if t.Failed() {
				t.Logf("%s output:\n%s", owner, r.out.String())
			}
		})
	}
	q := func(s string) string { return fmt.Sprintf(s, `"`+schema+`"`) }
	poll := func(what string, cond func() (bool, error)) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			ok, err := cond()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if ok {
				return
			}
			for _, r := range replicas {
				select {
				case err := <-r.exit:
					t.Fatalf("%s exited early (%v) while waiting for %s", r.owner, err, what)
				default:
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	count := func(sql string, args ...any) (n int, err error) {
		err = pool.QueryRow(ctx, q(sql), args...).Scan(&n)
		return n, err
	}

	// Phase 1: all work keys done, the blocking key started by one replica.
	total := replicaWorkJobs * replicaWorkPeriods
	poll("every work key done and the block run started", func() (bool, error) {
		done, err := count(`SELECT count(*) FROM %s.vinventory_jobs WHERE key LIKE 'work-%%' AND status = 'done'`)
		if err != nil {
			return false, err
		}
		started, err := count(`SELECT count(*) FROM %s.runs WHERE key = $1`, replicaBlockKey)
		return done == total && started > 0, err
	})
	var victim string
	if err := pool.QueryRow(ctx, q(`SELECT owner FROM %s.runs WHERE key = $1`), replicaBlockKey).Scan(&victim); err != nil {
		t.Fatalf("block run: %v", err)
	}
	var survivor string
	for o := range replicas {
		if o != victim {
			survivor = o
		}
	}
	// The other replica keeps ticking but must not start the held key.
	time.Sleep(300 * time.Millisecond)
	if n, err := count(`SELECT count(*) FROM %s.runs WHERE key = $1`, replicaBlockKey); err != nil || n != 1 {
		t.Fatalf("block key started %d times while held (%v)", n, err)
	}

	// Phase 2: kill -9 the replica running it.
	if err := replicas[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-replicas[victim].exit; err == nil {
		t.Fatalf("%s exited cleanly after SIGKILL", victim)
	}
	replicas[victim].exit <- errors.New("killed by the test") // for Cleanup
	delete(replicas, victim)
	poll("the survivor to take the block key over", func() (bool, error) {
		n, err := count(`SELECT count(*) FROM %s.runs WHERE key = $1 AND owner = $2`, replicaBlockKey, survivor)
		return n == 1, err
	})
	var (
		status, owner string
		attempts      int
	)
	if err := pool.QueryRow(ctx, q(`SELECT status, owner, attempts FROM %s.vinventory_jobs WHERE key = $1`), replicaBlockKey).Scan(&status, &owner, &attempts); err != nil {
		t.Fatal(err)
	}
	if status != "running" || owner != survivor || attempts != 2 {
		t.Fatalf("block row during takeover = %s/%s/%d, want running/%s/2", status, owner, attempts, survivor)
	}
	if _, err := pool.Exec(ctx, q(`UPDATE %s.ctl SET released = true`)); err != nil {
		t.Fatal(err)
	}
	poll("the block key done", func() (bool, error) {
		n, err := count(`SELECT count(*) FROM %s.vinventory_jobs WHERE key = $1 AND status = 'done'`, replicaBlockKey)
		return n == 1, err
	})

	// Graceful stop of the survivor.
	replicas[survivor].cmd.Process.Signal(syscall.SIGTERM)
	if err := <-replicas[survivor].exit; err != nil {
		t.Fatalf("%s did not stop cleanly: %v\n%s", survivor, err, replicas[survivor].out.String())
	}
	replicas[survivor].exit <- nil

	// Every key completed exactly once across both replicas.
	rows, err := pool.Query(ctx, q(`SELECT key, count(*) FILTER (WHERE finished_at IS NOT NULL), count(*),
		string_agg(owner, ',' ORDER BY id) FILTER (WHERE finished_at IS NOT NULL) FROM %s.runs GROUP BY key ORDER BY key`))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	keys, byOwner := 0, map[string]int{}
	for rows.Next() {
		var (
			key, finishers   string
			finished, starts int
		)
		if err := rows.Scan(&key, &finished, &starts, &finishers); err != nil {
			t.Fatal(err)
		}
		keys++
		byOwner[finishers]++
		if finished != 1 {
			t.Errorf("%s completed %d times (%s)", key, finished, finishers)
		}
		wantStarts := 1
		if key == replicaBlockKey {
			wantStarts = 2 // the killed attempt and the takeover
			if finishers != survivor {
				t.Errorf("block completed by %s, want %s", finishers, survivor)
			}
		}
		if starts != wantStarts {
			t.Errorf("%s started %d times, want %d", key, starts, wantStarts)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if keys != total+1 {
		t.Errorf("%d keys ran, want %d", keys, total+1)
	}
	if n, err := count(`SELECT count(*) FROM %s.vinventory_jobs WHERE status = 'done'`); err != nil || n != total+1 {
		t.Errorf("%d keys done in the job table (%v), want %d", n, err, total+1)
	}
	t.Logf("completions by replica: %v; block: killed %s, completed by %s", byOwner, victim, survivor)
}
