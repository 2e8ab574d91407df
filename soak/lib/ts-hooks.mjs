/**
 * Module hooks (node:module register) that let the soak driver, a plain .mjs like bench/run.mjs, import the
 * test harness's TypeScript helpers as they are (test/support/our-server.ts, processes.ts,
 * compat-tests/support/java.ts): tsc only builds src/ into dist/, and those files must keep their own
 * location, since they find the repository from import.meta.url.
 *
 * resolve: a relative `./x.js` imported from a .ts file means `./x.ts` when that exists (NodeNext style).
 * load: .ts files are transpiled one by one with the project's own TypeScript (ts.transpileModule: types
 * erased, no type check; `npm run build` and vitest do the checking).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL?.endsWith('.ts') && /^\.\.?\//.test(specifier) && specifier.endsWith('.js')) {
    const asTs = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (fs.existsSync(fileURLToPath(asTs))) return { url: asTs.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(fs.readFileSync(fileName, 'utf8'), {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
