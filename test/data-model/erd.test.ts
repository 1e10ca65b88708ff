import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { testRuntime } from '../support/app';

const ROOT = path.resolve(__dirname, '../..');
const SCHEMA_DOC = path.join(ROOT, 'docs', 'schema.md');

/**
 * The generator initialises every model on an in-memory SQLite instance, which rebinds the model
 * classes to it; in this process they must stay bound to the test database. So the exported
 * generator runs in a child process and hands its output back here.
 */
function regenerate(): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '-e', "process.stdout.write(require('./scripts/erd.ts').generateSchemaDoc())"], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, TZ: process.env.TZ },
    maxBuffer: 64 * 1024 * 1024,
  });
}

describe('data model: docs/schema.md (ERD)', function () {
  this.timeout(60000);
  let generated: string;

  before(() => {
    generated = regenerate();
  });

  it('is up to date with the models (otherwise run npm run docs:erd)', () => {
    const current = fs.existsSync(SCHEMA_DOC) ? fs.readFileSync(SCHEMA_DOC, 'utf8') : '';
    if (current !== generated) {
      const a = current.split('\n');
      const b = generated.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      expect.fail(
        `docs/schema.md is out of date: run npm run docs:erd and commit the result\n` +
          `first difference at line ${line + 1}:\n  file:      ${a[line] ?? '(end of file)'}\n  generated: ${b[line] ?? '(end of file)'}`,
      );
    }
  });

  it('is deterministic', () => {
    expect(regenerate()).to.equal(generated);
  });

  it('draws every model table as an entity with its columns, and every association as a relationship', async () => {
    const { sequelize } = await testRuntime();
    const entities = new Map<string, string[]>();
    let current: string[] | undefined;
    for (const line of generated.split('\n')) {
      const open = /^ {4}(\w+) \{$/.exec(line);
      if (open) entities.set(open[1], (current = []));
      else if (/^ {4}\}$/.test(line)) current = undefined;
      else if (current) current.push(line.trim().split(/\s+/)[1]);
    }
    const missing: string[] = [];
    for (const model of Object.values(sequelize.models)) {
      const table = String(model.getTableName());
      const columns = entities.get(table);
      if (!columns) {
        missing.push(`${table}: no entity`);
        continue;
      }
      for (const [name, attr] of Object.entries(model.getAttributes())) {
        const column = attr.field ?? name;
        if (!columns.includes(column)) missing.push(`${table}.${column}: not in the diagram`);
      }
      for (const assoc of Object.values(model.associations)) {
        if (assoc.associationType !== 'BelongsTo') continue;
        const parent = String(assoc.target.getTableName());
        const fk = model.getAttributes()[assoc.foreignKey as string]?.field ?? (assoc.foreignKey as string);
        const line = new RegExp(`^ {4}${parent} (\\|\\||\\|o)--o[{|] ${table} : "${fk}"$`, 'm');
        if (!line.test(generated)) missing.push(`${table}.${fk} -> ${parent}: no relationship`);
      }
    }
    expect(missing, `docs/schema.md misses:\n  ${missing.join('\n  ')}`).to.deep.equal([]);
    expect(generated.match(/^```mermaid\nerDiagram$/gm)?.length ?? 0).to.be.greaterThan(1);
  });
});
