/**
 * The NetSuite fake on a fixed local port, for watching a demo instance sync:
 *   npx tsx scripts/netsuite-fake.ts [port]   (default 4010)
 * prints the NETSUITE_* variables to start AMT with, then one line per record written.
 */
import { startNetsuiteFakeForDemo } from '../test/fakes/netsuite';

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 4010);
  const { fake, env } = await startNetsuiteFakeForDemo(port);
  process.stdout.write(`NetSuite fake on ${fake.baseUrl}. Start AMT with:\n`);
  for (const [k, v] of Object.entries(env)) process.stdout.write(`${k}='${v}'\n`);
  let seen = 0;
  setInterval(() => {
    for (const r of fake.requests.slice(seen)) process.stdout.write(`${r.status} ${r.method} ${r.path}\n`);
    seen = fake.requests.length;
  }, 500);
  const stop = () => void fake.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
