// The pushctl process: runs main() and turns its result into the exit code.
import { main } from './pushctl.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`pushctl: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
