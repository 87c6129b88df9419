/**
 * mdtest, the metadata benchmark, on tsdaos: `node dist/scripts/mdtest/main.js -a DFS|POSIX -n N ...`.
 * Flags only: parsing is options.ts, the run is driver.ts, the table summary.ts. Failures are one line
 * on stderr: exit 2 for usage errors (as mdtest's bad flags), 1 for everything else.
 */
import { UsageError, output } from '../cli/command.js';
import { runMdtest } from './driver.js';
import { USAGE, parseMdtestOptions } from './options.js';
import { formatSummary, summarize } from './summary.js';
import { treeNodeCount } from './tree.js';

async function main(argv: string[]): Promise<void> {
  const options = parseMdtestOptions(argv);
  const results = await runMdtest(options);
  const summary = summarize(results, options.iterations);
  const trees = options.unique ? options.procs : 1;
  const preamble = [
    `mdtest (tsdaos) was launched with ${options.procs} total task(s) on 1 node(s)`,
    `Command line used: mdtest ${argv.join(' ')}`,
    `Path: ${options.testDir} (API ${options.backend})`,
    '',
    `${options.procs} tasks, ${options.procs * options.items} files/directories, ${trees * treeNodeCount(options.depth, options.branch)} tree directories`,
    '',
  ].join('\n');
  output({ values: { json: options.json }, positionals: [] }, { options, phases: results, summary },
    () => `${preamble}\n${formatSummary(summary)}\n-- finished --`);
}

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(USAGE);
} else {
  main(argv).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`mdtest: ${message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '')}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  });
}
