import { stat } from 'node:fs/promises';
import path from 'node:path';
import { TandemError } from '../errors.js';
import { detectProject } from './detect.js';
import { renderTemplate } from './template.js';
import type { Detection } from './types.js';
import { writeConfigFile } from './write.js';

export interface InitOptions {
  /** The project directory; relative paths are resolved against the working directory. */
  dir: string;
  force?: boolean;
}

export interface InitResult {
  /** Absolute path of the file written. */
  file: string;
  detection: Detection;
  text: string;
}

/** `tandem init`: detect, render, write. Throws TandemError (exit 2 for a bad --dir, 1 otherwise). */
export async function initProject(options: InitOptions): Promise<InitResult> {
  const dir = path.resolve(options.dir);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new TandemError('TANDEM_INIT_NO_DIR', `${dir} is not a directory`, { exitCode: 2 });
  }
  const detection = await detectProject(dir);
  const text = renderTemplate(detection);
  const file = await writeConfigFile(dir, text, { force: options.force });
  return { file, detection, text };
}
