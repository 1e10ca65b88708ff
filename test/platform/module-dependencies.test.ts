import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

/**
 * Module dependencies point one way. A module is a folder under src/modules; module A depends on B
 * when a file of A imports (statically, `import type` included, dynamically or by require) a file
 * of B. src/modules/index.ts is the composition root and may import every module; src/platform may
 * import none.
 *
 * The graph has no cycle, of two modules or more: a lower module never imports a higher one. Where
 * a lower module must set off something in a higher one, it offers a hook the higher one fills
 * from its register(ctx) (payments/events.ts, accounts/events.ts, operations/close-steps.ts), and
 * an association between two modules' tables is declared by the higher module. The layering is in
 * docs/architecture.md ("Module layering").
 */

const SRC = path.resolve(__dirname, '../../src');
const MODULES = path.join(SRC, 'modules');
const PLATFORM = path.join(SRC, 'platform');

/** import ... from 'x', export ... from 'x', import 'x', import('x'), require('x'). */
const SPECIFIER = /\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;

function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** The relative imports of a file, as absolute paths (comments are dropped first). */
function importsOf(file: string): string[] {
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [...text.matchAll(SPECIFIER)]
    .map((m) => m[1] ?? m[2])
    .filter((s) => s.startsWith('.'))
    .map((s) => path.resolve(path.dirname(file), s));
}

/** The module (folder under src/modules) a path is in, or undefined. */
function moduleOf(p: string): string | undefined {
  const rel = path.relative(MODULES, p).split(path.sep);
  return rel[0] !== '..' && rel.length >= 2 ? rel[0] : undefined;
}

/** Module -> the modules it depends on, with one importing file per edge (for the messages). */
function moduleGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of tsFiles(MODULES)) {
    const from = moduleOf(file);
    if (!from) continue; // src/modules/index.ts: the composition root
    if (!graph.has(from)) graph.set(from, new Map());
    for (const target of importsOf(file)) {
      const to = moduleOf(target);
      if (to && to !== from && !graph.get(from)!.has(to)) graph.get(from)!.set(to, path.relative(SRC, file));
    }
  }
  return graph;
}

/** A cycle of the graph as [a, b, ..., a], or undefined when it has none. */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return undefined;
}

function edgesOf(graph: Map<string, Map<string, string>>): Map<string, Set<string>> {
  return new Map([...graph].map(([from, targets]) => [from, new Set(targets.keys())]));
}

describe('module dependencies', () => {
  it('the cycle check finds a cycle through three modules and none in a chain', () => {
    const graph = (edges: [string, string][]) => {
      const g = new Map<string, Set<string>>();
      for (const [a, b] of edges) g.set(a, (g.get(a) ?? new Set()).add(b));
      return g;
    };
    expect(
      findCycle(
        graph([
          ['a', 'b'],
          ['b', 'c'],
          ['c', 'a'],
        ]),
      ),
    ).to.deep.equal(['a', 'b', 'c', 'a']);
    expect(
      findCycle(
        graph([
          ['a', 'b'],
          ['b', 'c'],
          ['a', 'c'],
        ]),
      ),
    ).to.equal(undefined);
  });

  it('reads the imports of the modules (the graph is not empty)', () => {
    const graph = moduleGraph();
    expect(graph.get('payments')?.has('accounts'), 'payments imports accounts').to.equal(true);
    expect(graph.get('ledger')?.has('organisation') || graph.get('accounts')?.has('organisation'), 'some module imports organisation').to.equal(true);
  });

  it('has no cycle between modules', () => {
    const graph = moduleGraph();
    const cycle = findCycle(edgesOf(graph));
    const files = cycle?.slice(1).map((to, i) => `${graph.get(cycle[i])!.get(to)} imports ${to}`);
    expect(cycle, `import cycle between modules: ${cycle?.join(' -> ')} (${files?.join('; ')}): make the dependency point one way`).to.equal(undefined);
  });

  it('src/platform imports no module', () => {
    const offending = tsFiles(PLATFORM).flatMap((file) =>
      importsOf(file)
        .filter((target) => moduleOf(target) !== undefined || target === MODULES || target === path.join(MODULES, 'index'))
        .map((target) => `${path.relative(SRC, file)} imports ${path.relative(SRC, target)}`),
    );
    expect(offending).to.deep.equal([]);
  });
});
