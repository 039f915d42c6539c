/**
 * Writes schema/tandem.schema.json and docs/configuration.md from src/config/schema.ts.
 * `--check`: writes nothing, exits 1 when either file is stale (CI, `npm test`).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildJsonSchema } from '../src/config/json-schema.js';
import { buildReferenceDoc } from '../src/config/reference-doc.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outputs = [
  { file: 'schema/tandem.schema.json', content: `${JSON.stringify(buildJsonSchema(), null, 2)}\n` },
  { file: 'docs/configuration.md', content: buildReferenceDoc() },
];

async function current(file: string): Promise<string | undefined> {
  try {
    return await readFile(join(root, file), 'utf8');
  } catch {
    return undefined;
  }
}

if (process.argv.includes('--check')) {
  let stale = false;
  for (const { file, content } of outputs) {
    if ((await current(file)) !== content) {
      console.error(`${file} is stale: run \`npm run gen\``);
      stale = true;
    }
  }
  process.exit(stale ? 1 : 0);
}

for (const { file, content } of outputs) {
  const path = join(root, file);
  await mkdir(dirname(path), { recursive: true });
  if ((await current(file)) === content) {
    console.log(`${file} is up to date`);
  } else {
    await writeFile(path, content);
    console.log(`wrote ${file}`);
  }
}
