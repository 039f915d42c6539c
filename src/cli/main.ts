import { main } from './program.js';

main(process.argv).catch((err: unknown) => {
  process.stderr.write(
    `tandem: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
