/**
 * The OpenAPI document the API serves at /openapi.json, written without a database or Redis: the
 * modules' routes are built on a context whose in-memory SQLite instance never connects (route
 * factories only wire services; nothing is queried until a request arrives).
 *
 *   npm run lint:openapi                        # write it to a temp file and lint it (exit 1 on errors)
 *   tsx scripts/openapi.ts /path/openapi.json   # just write it
 *
 * The linter is Redocly CLI (a devDependency, offline; rules in redocly.yaml). The suite's
 * test/platform/openapi.test.ts runs this same script, lints its output and checks that it equals
 * the document the running app serves.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/platform/config';
import type { AppContext } from '../src/platform/context';
import { createSequelize } from '../src/platform/db/sequelize';
import { buildOpenApiDocument } from '../src/platform/http/openapi';
import { createLogger } from '../src/platform/logging/logger';
import { InProcessQueue } from '../src/platform/queue/in-process';
import { apiRoutes, modules } from '../src/modules';

const ROOT = path.resolve(__dirname, '..');

export function offlineOpenApiDocument(): Record<string, unknown> {
  const config = loadConfig({ NODE_ENV: 'development', SQLITE_PATH: ':memory:', LOG_LEVEL: 'silent' });
  const logger = createLogger('silent', { role: 'openapi' });
  const sequelize = createSequelize(config);
  // Some route factories read their models' attributes (reference data), so the models are
  // initialised; this rebinds the model classes, hence a process of its own (never the suite's).
  for (const m of modules) m.initModels?.(sequelize);
  for (const m of modules) m.associate?.();
  const ctx: AppContext = { config, sequelize, logger, queue: new InProcessQueue(logger) };
  return buildOpenApiDocument(apiRoutes(ctx));
}

export interface LintResult {
  errors: number;
  warnings: number;
  problems: { ruleId: string; severity: string; message: string; location?: { pointer?: string }[] }[];
}

/** Lints an OpenAPI file with Redocly CLI under redocly.yaml; telemetry and update checks off (offline). */
export function lintOpenApi(file: string, format: 'json' | 'stylish' = 'json'): LintResult & { output: string } {
  const cli = path.join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
  const run = spawnSync(process.execPath, [cli, 'lint', file, `--config=${path.join(ROOT, 'redocly.yaml')}`, `--format=${format}`, '--max-problems=1000'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  if (format === 'stylish') return { errors: run.status === 0 ? 0 : -1, warnings: 0, problems: [], output: run.stdout + run.stderr };
  const start = run.stdout.indexOf('{');
  if (start < 0) throw new Error(`redocly lint printed no JSON (exit ${run.status}): ${run.stderr}`);
  const report = JSON.parse(run.stdout.slice(start)) as { totals: { errors: number; warnings: number }; problems: LintResult['problems'] };
  return { errors: report.totals.errors, warnings: report.totals.warnings, problems: report.problems, output: run.stdout };
}

if (require.main === module) {
  const json = JSON.stringify(offlineOpenApiDocument(), null, 2) + '\n';
  if (process.argv[2] === '--lint') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amt-openapi-'));
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, json);
    const result = lintOpenApi(file, 'stylish');
    process.stdout.write(result.output);
    fs.rmSync(dir, { recursive: true, force: true });
    process.exitCode = result.errors === 0 ? 0 : 1;
  } else if (process.argv[2]) {
    fs.writeFileSync(process.argv[2], json);
  } else {
    process.stdout.write(json);
  }
}
