/** The command line: `barbican [--config FILE] [--watch]`, `barbican check --config FILE`, --version, --help. */
import cluster from 'node:cluster';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatProblems, loadConfigFile } from './config/index.js';
import type { Config } from './config/schema.js';
import { watchConfigFile } from './config-watcher.js';
import { startDemo } from './demo.js';
import { handleSignals, startInstance } from './main.js';
import { planWorkers } from './workers/plan.js';
import { Supervisor } from './workers/supervisor.js';
import { runWorker } from './workers/worker.js';

const HELP = `Usage:
  barbican [--config FILE] [--watch]
                                   run (default ./barbican.yaml; without it, the built-in demo);
                                   --watch: reload when the config file changes (as SIGHUP does)
  barbican check --config FILE     validate FILE: print every problem, exit 0 if valid, 2 if not
  barbican --version               print the version
  barbican --help                  this text

Environment:
  BARBICAN_DEMO_PORT               port of the demo proxy (default 8080)
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string };
  return pkg.version;
}

interface Args {
  command: 'run' | 'check' | 'help' | 'version';
  config: string | undefined;
  watch: boolean;
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { command: 'run', config: undefined, watch: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === 'check' && i === 0) args.command = 'check';
    else if (a === '--help' || a === '-h') args.command = 'help';
    else if (a === '--version' || a === '-v') args.command = 'version';
    else if (a === '--watch') args.watch = true;
    else if (a === '--config' || a === '-c') {
      const value = argv[++i];
      if (value === undefined) return '--config needs a file';
      args.config = value;
    } else if (a.startsWith('--config=')) args.config = a.slice('--config='.length);
    else return `unknown argument: ${a}`;
  }
  return args;
}

async function load(file: string): Promise<Config | undefined> {
  const result = await loadConfigFile(file);
  if (result.ok) return result.config;
  process.stderr.write(`${formatProblems(result.problems)}\n`);
  return undefined;
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`barbican: ${args}\n\n${HELP}`);
    return 2;
  }
  if (args.command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.command === 'version') {
    process.stdout.write(`barbican ${version()}\n`);
    return 0;
  }
  if (args.command === 'check') {
    if (args.config === undefined) {
      process.stderr.write('barbican check: --config FILE is required\n');
      return 2;
    }
    const config = await load(args.config);
    if (!config) return 2;
    const plan = planWorkers(config);
    if (!plan.ok) {
      process.stderr.write(`${args.config}: ${plan.problem}\n`);
      return 2;
    }
    process.stdout.write(`${args.config}: valid (${config.listeners.length} listener(s), ${Object.keys(config.upstreams).length} upstream(s), ${config.routes.length} route(s))\n`);
    return 0;
  }

  const file = args.config ?? (existsSync('barbican.yaml') ? 'barbican.yaml' : undefined);
  let config: Config;
  let demoNote = '';
  if (file === undefined) {
    if (args.watch) {
      process.stderr.write('barbican: --watch needs a config file (the demo has none)\n');
      return 2;
    }
    const port = Number(process.env.BARBICAN_DEMO_PORT ?? 8080);
    const demo = await startDemo(port);
    config = demo.config;
    demoNote = 'demo';
  } else {
    const loaded = await load(file);
    if (!loaded) return 2;
    config = loaded;
    // server.workers > 1: this process supervises; the workers run this same command (cluster).
    if (cluster.isWorker) {
      await runWorker(config, file);
      return -1;
    }
    const plan = planWorkers(config);
    if (!plan.ok) {
      process.stderr.write(`${file}: ${plan.problem}\n`);
      return 2;
    }
    if (plan.count > 1) {
      const supervisor = new Supervisor(config, plan.count);
      supervisor.handleSignals();
      await supervisor.start();
      if (args.watch) watchConfigFile(file, () => void supervisor.rollingReload('file change'));
      return -1;
    }
  }
  const instance = await startInstance(config, undefined, file === undefined ? {} : { configFile: file });
  handleSignals(instance);
  if (args.watch && file !== undefined) watchConfigFile(file, () => void instance.holder.reload('file change'));
  for (const l of instance.listeners) {
    const host = l.host === '0.0.0.0' || l.host === '::' ? '127.0.0.1' : l.host.includes(':') ? `[${l.host}]` : l.host;
    instance.logger.info({ listener: l.name, address: `${l.host}:${l.port}` }, `listening on ${l.scheme}://${host}:${l.port}/`);
    if (demoNote) {
      process.stdout.write(
        `\nBarbican ${version()} is running the built-in demo (no barbican.yaml found).\n` +
          `  open  http://${host}:${l.port}/          what the demo does\n` +
          `        http://${host}:${l.port}/app/hello  forwarded to two demo origins\n` +
          `        http://${host}:${l.port}/ping       answered by Barbican\n` +
          `Stop with Ctrl-C.\n\n`,
      );
    }
  }
  const admin = instance.admin;
  if (admin !== undefined) {
    // Logged after the proxy's listeners: tools (and the tests) read the bound ports from these lines.
    const host = admin.host.includes(':') ? `[${admin.host}]` : admin.host;
    instance.logger.info({ listener: 'admin', address: `${admin.host}:${admin.port}` }, `admin API on http://${host}:${admin.port}/`);
  }
  return -1; // keep running
}
