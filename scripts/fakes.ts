/**
 * `npm run fakes`: the NetSuite and Salesforce fakes (test/fakes/) on fixed local ports, for
 * watching a demo instance sync (README "Watching a sync locally"):
 *
 *   npm run fakes -- [--netsuite-port 4010] [--salesforce-port 4610]
 *
 * Prints the NETSUITE_* / SALESFORCE_* / SYNC_* variables that point AMT at them (fresh key pairs
 * at each start: the fakes hold the public keys, the private keys are printed one line each with
 * \n escapes), as `export` lines a shell can source, then one line per request the fakes answer.
 * What they hold: GET <netsuite>/__fake/records[?type=customer] and GET <salesforce>/__fake/stats.
 * Stops on SIGINT/SIGTERM.
 */
import { startNetsuiteFakeForDemo } from '../test/fakes/netsuite';
import { startSalesforceFake } from './fake-salesforce';

function arg(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1 || v > 65_535) throw new Error(`--${name} must be a port number`);
  return v;
}

async function main(): Promise<void> {
  const netsuite = await startNetsuiteFakeForDemo(arg('netsuite-port', 4010));
  const salesforce = await startSalesforceFake({ port: arg('salesforce-port', 4610) });
  const env: Record<string, string> = { ...netsuite.env, ...salesforce.env, SYNC_POLL_INTERVAL_SECONDS: '1' };
  const out = process.stdout;
  out.write(`NetSuite fake:   ${netsuite.fake.baseUrl}   (records: ${netsuite.fake.baseUrl}/__fake/records)\n`);
  out.write(`Salesforce fake: ${salesforce.baseUrl}   (stats: ${salesforce.baseUrl}/__fake/stats)\n`);
  out.write('Start AMT with these variables (e.g. save them to a file and `set -a; . ./fakes.env; set +a; npm start`):\n\n');
  for (const [k, v] of Object.entries(env)) out.write(`${k}='${v}'\n`);
  out.write('\n');
  let nsSeen = 0;
  let sfSeen = 0;
  const timer = setInterval(() => {
    for (const r of netsuite.fake.requests.slice(nsSeen)) out.write(`netsuite   ${r.status} ${r.method} ${r.path}\n`);
    nsSeen = netsuite.fake.requests.length;
    for (const r of salesforce.fake.requests.slice(sfSeen))
      out.write(`salesforce ${r.status} ${r.method} ${r.path}${r.records === undefined ? '' : ` (${r.records} records)`}\n`);
    sfSeen = salesforce.fake.requests.length;
  }, 500);
  const stop = () => {
    clearInterval(timer);
    void Promise.all([netsuite.fake.stop(), salesforce.fake.stop()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
