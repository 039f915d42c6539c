// Bundles src/ into dist/ (a stand-in for a real build step).
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';

mkdirSync('dist', { recursive: true });
cpSync('src', 'dist/src', { recursive: true });
writeFileSync(
  'dist/hello.js',
  "import { greet } from './src/greet.js';\n\nconsole.log(greet('Tandem', process.argv[2] ?? 'en'));\n",
);
console.log('built dist/hello.js');
