/**
 * `<stateDir>/run/agent.json`: how a control plane finds the running agent (AgentFile). It holds
 * the admin token, hence mode 0600; it is written by rename so a reader never sees half of it.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { AgentFile } from './protocol.js';

const agentFileSchema = z.object({
  pid: z.number().int().positive(),
  url: z.string().startsWith('http://'),
  token: z.string().min(1),
  startedAt: z.string(),
  build: z.string(),
});

export function agentFilePath(stateDir: string): string {
  return path.join(stateDir, 'run', 'agent.json');
}

export function writeAgentFile(stateDir: string, file: AgentFile): void {
  const target = agentFilePath(stateDir);
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, target);
}

/** The agent file, or undefined when there is none or it is not one (a torn or foreign file). */
export function readAgentFile(stateDir: string): AgentFile | undefined {
  let text: string;
  try {
    text = readFileSync(agentFilePath(stateDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = agentFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the file if it is still this agent's (a newer agent may have replaced it). */
export function removeAgentFile(stateDir: string, token: string): void {
  if (readAgentFile(stateDir)?.token === token) rmSync(agentFilePath(stateDir), { force: true });
}
