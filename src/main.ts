// The operator's command line (`npx taifa …`, bin/taifa.js): the commands live in cli/, one file per group.
import { runCli } from './cli/run.js';
import { describeFailure } from './cli/errors.js';
import { processOutput } from './cli/output.js';

runCli(process.argv.slice(2), process.env, processOutput).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`taifa: ${describeFailure(error).text}\n`);
    process.exit(1);
  },
);
