import { runCli } from './program';

// The `studio` executable (bin/studio.js loads the bundled copy of this file).
void runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
