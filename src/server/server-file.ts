/**
 * How verbs find the control plane: `<project>/.tandem/server.json` (found walking up from the
 * working directory), and a per-user registry (`$XDG_STATE_HOME/tandem/servers/`) so a verb run
 * from anywhere finds the only running control plane.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { stateDir } from '../store/open.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';

export const serverFileSchema = z.object({
  url: z.string().startsWith('http://'),
  pid: z.number().int().positive(),
  project: z.string(),
  root: z.string(),
  config: z.string(),
  startedAt: z.string(),
});
export type ServerFile = z.infer<typeof serverFileSchema>;

export function serverFilePath(projectRoot: string): string {
  return path.join(stateDir(projectRoot), 'server.json');
}

export function registryDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_STATE_HOME || path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(base, 'tandem', 'servers');
}

function registryEntry(root: string, env?: Record<string, string | undefined>): string {
  return path.join(registryDir(env), `${createHash('sha256').update(root).digest('hex').slice(0, 16)}.json`);
}

export function writeServerFile(file: ServerFile, env?: Record<string, string | undefined>): void {
  const text = `${JSON.stringify(file, null, 2)}\n`;
  writeFileAtomic(serverFilePath(file.root), text);
  try {
    writeFileAtomic(registryEntry(file.root, env), text);
  } catch {
    // The registry is a convenience; the project's own file is what counts.
  }
}

/** Removes both files if they still describe this process. */
export function removeServerFile(root: string, pid: number, env?: Record<string, string | undefined>): void {
  for (const file of [serverFilePath(root), registryEntry(root, env)]) {
    if (readServerFileAt(file)?.pid === pid) rmSync(file, { force: true });
  }
}

export function readServerFileAt(file: string): ServerFile | undefined {
  try {
    const parsed = serverFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Every registered control plane (alive or not: the caller checks). */
export function registeredServers(env?: Record<string, string | undefined>): ServerFile[] {
  let names: string[];
  try {
    names = readdirSync(registryDir(env));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => readServerFileAt(path.join(registryDir(env), n)))
    .filter((f): f is ServerFile => f !== undefined);
}
