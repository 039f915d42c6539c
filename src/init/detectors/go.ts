import { readTextIfExists } from '../fs.js';
import type { Findings } from '../types.js';

/** A Go module: go.mod. */
export async function detectGo(dir: string): Promise<Findings | undefined> {
  const text = await readTextIfExists(dir, 'go.mod');
  if (text === undefined) return undefined;
  const module = goModulePath(text);
  const projectName = module ? moduleName(module) : undefined;
  return {
    ecosystem: { id: 'go', label: module ? `Go (module ${module})` : 'Go', files: ['go.mod'] },
    jobs: [
      {
        name: 'vet',
        kind: 'lint',
        description: 'Report suspicious constructs with go vet.',
        run: 'go vet ./...',
      },
      { name: 'test', kind: 'test', description: 'Run the tests.', run: 'go test ./...', timeout: '10m' },
      { name: 'build', kind: 'build', description: 'Compile every package.', run: 'go build ./...' },
    ],
    ...(projectName ? { projectName } : {}),
    notes: [],
  };
}

/** The `module` line of a go.mod. */
export function goModulePath(text: string): string | undefined {
  const match = /^\s*module\s+(?:"([^"]+)"|(\S+))/m.exec(text.replace(/\/\/.*$/gm, ''));
  return match?.[1] ?? match?.[2];
}

/** "github.com/acme/api/v2" → "api". */
export function moduleName(module: string): string | undefined {
  const parts = module.split('/').filter(Boolean);
  let last = parts.pop();
  if (last !== undefined && /^v\d+$/.test(last) && parts.length > 0) last = parts.pop();
  return last;
}
