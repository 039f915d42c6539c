import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../pipeline/executors/local/process-group.js';
import { createKit, type Kit, waitFor } from './test-kit.js';
import type { HealthCheck, Supervisor } from './types.js';

let kit: Kit;
afterEach(async () => {
  await kit.dispose();
});

/** Nothing listens on the port: checks fail quietly, the instance stays `starting`. */
const idleCheck: HealthCheck = {
  kind: 'tcp',
  intervalMs: 10_000,
  timeoutMs: 500,
  healthyThreshold: 1,
  unhealthyThreshold: 1,
};

/** The pid a command printed as `child=<pid>` into its log. */
async function childPid(sup: Supervisor, id: string): Promise<number> {
  const lines = await waitFor(
    'the child pid in the log',
    () => sup.tail(id, 50),
    (l) => l.some((x) => x.startsWith('child=')),
  );
  return Number(lines.find((x) => x.startsWith('child='))!.slice('child='.length));
}

describe('supervisor: crash loops, stopping, logs', () => {
  it('reports a command that exits at once as crashlooping, keeps retrying, and shows its last words', async () => {
    kit = createKit({ restartBackoff: { initialMs: 20, maxMs: 100, resetAfterMs: 5_000 } });
    const { sup } = kit;
    const spec = kit.spec({
      command: 'echo "fatal: DATABASE_URL is not set" >&2; exit 3',
      health: idleCheck,
    });
    sup.start(spec);

    const looping = await waitFor(
      'crashlooping after 3 restarts',
      () => sup.get(spec.id),
      (s) => s?.state === 'crashlooping' && s.restarts >= 3,
    );
    expect(looping?.lastExit).toMatchObject({ code: 3, signal: null });
    expect(looping?.healthy).toBe(false);
    const lines = await sup.tail(spec.id, 4);
    expect(lines).toHaveLength(4);
    expect(lines).toContain('fatal: DATABASE_URL is not set');
    expect(
      lines.some((l) => /^\[tandem\] instance exited code=3 signal=null after .*crash loop/.test(l)),
    ).toBe(true);
    // Still retried: it goes on restarting.
    await waitFor(
      'another restart',
      () => sup.get(spec.id),
      (s) => (s?.restarts ?? 0) > looping!.restarts,
    );
  });

  it('restarts an instance whose working directory is missing, saying why', async () => {
    kit = createKit();
    const { sup } = kit;
    const spec = kit.spec({ cwd: path.join(kit.dir, 'gone'), health: idleCheck });
    sup.start(spec);
    await waitFor(
      'a retry',
      () => sup.get(spec.id),
      (s) => (s?.restarts ?? 0) >= 1,
    );
    const lines = await sup.tail(spec.id, 20);
    expect(lines.some((l) => l.includes(`working directory ${spec.cwd} is missing`))).toBe(true);
  });

  it('stop() signals the whole process group: a child of the bash goes too', async () => {
    kit = createKit();
    const { sup } = kit;
    // The child says when SIGTERM reaches it (its pid is printed once its trap is set): were only
    // the leader signalled, it would die of the SIGKILL after the grace, silently.
    const spec = kit.spec({
      command: `bash -c 'trap "echo child got SIGTERM; exit 0" TERM; echo child=$$; sleep 300 & wait' & wait`,
      health: idleCheck,
      stop: { signal: 'SIGTERM', graceMs: 5_000 },
    });
    const { id } = sup.start(spec);
    const child = await childPid(sup, id);
    const leader = sup.get(id)!.pid!;
    expect(isProcessAlive(child)).toBe(true);

    await sup.stop(id);
    expect(isProcessAlive(child)).toBe(false);
    expect(isProcessAlive(leader)).toBe(false);
    const lines = await sup.tail(id, 3);
    expect(lines).toContain('child got SIGTERM');
    expect(lines.join('\n')).not.toContain('SIGKILL');
    expect(sup.list()).toEqual([]);
    const mine = kit.events.filter((e) => e.id === id);
    expect(mine.at(-2)?.state).toBe('stopping');
    expect(mine.at(-1)).toMatchObject({ state: 'exited', lastExit: { signal: 'SIGTERM' } });
    expect(mine.map((e) => e.restarts)).not.toContain(1); // a planned stop is no crash
  });

  it('SIGKILLs a group that ignores the stop signal once the grace is over', async () => {
    kit = createKit();
    const { sup } = kit;
    const spec = kit.spec({
      command: `trap '' TERM; sleep 300 & echo "child=$!"; wait`,
      health: idleCheck,
      stop: { signal: 'SIGTERM', graceMs: 300 },
    });
    const { id } = sup.start(spec);
    const child = await childPid(sup, id);

    await sup.stop(id);
    expect(isProcessAlive(child)).toBe(false);
    expect(kit.events.at(-1)).toMatchObject({ id, state: 'exited', lastExit: { signal: 'SIGKILL' } });
    const lines = await sup.tail(id, 3);
    expect(lines[0]).toBe('[tandem] instance still running after 300ms: SIGKILL to the process group');
  });

  it('rotates a log past logMaxBytes by copy-then-truncate, keeping logFiles old files', async () => {
    kit = createKit({ logMaxBytes: 100, logFiles: 2, logCheckIntervalMs: 30 });
    const { sup } = kit;
    // Each batch is one write (seq buffers its output) of ~220 bytes, then waits for the test.
    const spec = kit.spec({
      command:
        'for b in 1 2 3; do seq -f "b$b line %g" 1 20; while [ ! -e go$b ]; do sleep 0.02; done; done; echo "b4 tail"; sleep 300',
      health: idleCheck,
    });
    const { id } = sup.start(spec);
    const log = path.join(kit.dir, 'logs', `${id}.log`);
    const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    const go = (n: number): void => writeFileSync(path.join(kit.dir, `go${n}`), '');

    await waitFor(
      'batch 1 rotated',
      () => read(`${log}.1`),
      (t) => t.includes('b1 line 20'),
    );
    go(1);
    await waitFor(
      'batch 2 rotated',
      () => read(`${log}.1`),
      (t) => t.includes('b2 line 20'),
    );
    expect(read(`${log}.2`)).toContain('b1 line 1\n');
    go(2);
    await waitFor(
      'batch 3 rotated',
      () => read(`${log}.1`),
      (t) => t.includes('b3 line 20'),
    );
    expect(read(`${log}.2`)).toContain('b2 line 20');
    expect(existsSync(`${log}.3`)).toBe(false); // batch 1 is gone: only 2 old files are kept
    go(3);
    // The process still appends to the truncated file: tail spans .log.1 and .log.
    const tail = await waitFor(
      'the line after the rotation',
      () => sup.tail(id, 3),
      (l) => l.includes('b4 tail'),
    );
    expect(tail).toEqual(['b3 line 19', 'b3 line 20', 'b4 tail']);
    expect(read(log)).toBe('b4 tail\n');
  });
});
