import { Command } from 'commander';
import { configCommands } from './config.command';
import { tokenCommands } from './token.command';
import { closeDayCommands } from './close-day.command';
import { jobsCommands } from './jobs.command';
import { clientCommands } from './clients.command';
import { staffCommands } from './staff.command';
import { syncCommands } from './sync.command';

/**
 * `amt`: the operator's command line. Each domain adds its commands here; they call the same
 * services the API and the jobs call.
 */
const program = new Command('amt').description('AMT operator commands').showHelpAfterError();
configCommands(program);
tokenCommands(program);
closeDayCommands(program);
jobsCommands(program);
clientCommands(program);
staffCommands(program);
syncCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
