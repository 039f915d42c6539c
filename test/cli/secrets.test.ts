import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, parseRunJson, removeProject, runCli } from '../helpers/cli.js';

const SECRET = 'pa55-w0rd/with?chars&more';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});

function readTree(dir: string): string {
  let all = '';
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) all += readFileSync(path.join(entry.parentPath, entry.name), 'latin1');
  }
  return all;
}

describe('secrets through the real CLI', () => {
  it('sets, lists and removes a secret without ever printing it; jobs see it, logs and cache mask it', async () => {
    const dir = makeProject({
      'tandem.yaml': `project: t
pipeline:
  jobs:
    use:
      env: { TOKEN: "\${{ secrets.API_TOKEN }}" }
      run: |
        echo "token is $TOKEN"
        printf '%s' "$TOKEN" | base64
        printf 'split: '; printf '%s' "$TOKEN" | head -c 5; sleep 0.2; printf '%s\\n' "$TOKEN" | tail -c +6
        node -e 'console.log(encodeURIComponent(process.env.TOKEN))'
`,
    });
    dirs.push(dir);

    const set = await runCli(['secret', 'set', 'API_TOKEN'], { cwd: dir, input: `${SECRET}\n` });
    expect(set.code).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(SECRET);
    expect(statSync(path.join(dir, '.tandem/master.key')).mode & 0o077).toBe(0);

    const list = await runCli(['secret', 'list', '--json'], { cwd: dir });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'API_TOKEN' })]);
    expect(list.stdout).not.toContain(SECRET);

    const run = await runCli(['run'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('token is ***');
    expect(run.stdout).toMatch(/split: \*\*\*/);
    const b64 = Buffer.from(SECRET).toString('base64');
    for (const form of [SECRET, b64, encodeURIComponent(SECRET)]) {
      expect(run.stdout).not.toContain(form);
      // Nothing at rest holds it either: job logs, cache entries, the database.
      expect(readTree(path.join(dir, '.tandem'))).not.toContain(form);
    }

    const cached = await runCli(['run', '--json'], { cwd: dir });
    expect(parseRunJson(cached).jobs[0]?.status).toBe('cached');
    expect(cached.stderr).toContain('token is ***');

    const rm = await runCli(['secret', 'rm', 'API_TOKEN'], { cwd: dir });
    expect(rm.code).toBe(0);
    const again = await runCli(['secret', 'rm', 'API_TOKEN'], { cwd: dir });
    expect(again.code).toBe(1);

    const missing = await runCli(['run'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/API_TOKEN/);
    expect(missing.stderr).toMatch(/tandem secret set API_TOKEN/);
  });

  it('refuses an invalid secret name and an empty value', async () => {
    const dir = makeProject({ 'tandem.yaml': 'project: t\npipeline:\n  jobs:\n    a: { run: "true" }\n' });
    dirs.push(dir);
    expect((await runCli(['secret', 'set', 'bad-name'], { cwd: dir, input: 'x' })).code).toBe(2);
    expect((await runCli(['secret', 'set', 'EMPTY'], { cwd: dir, input: '' })).code).not.toBe(0);
  });
});
