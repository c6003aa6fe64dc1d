/**
 * Which build of the `yaml` package's CST `Parser` the rewriter runs.
 *
 * The package's Node build reads `process.env.LOG_TOKENS` once per lexical token (a debugging hook);
 * on Node each `process.env` read is a call into C++, and a typical manifest has one token every three
 * bytes, so that read alone costs about a third of the parse. The package also ships the very same
 * parser, of the same version, built without that hook (its `browser` build, plain ES modules). Once
 * loaded, that build is used; until then, or when it cannot be loaded, the Node build is. Both yield
 * identical tokens: the CST is plain objects, so the rest of the package (and the Composer) cannot
 * tell them apart.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Parser } from 'yaml';

/** The `Parser` constructor in use. */
export let YamlParser: typeof Parser = Parser;

let loading: Promise<void> | undefined;

function isParserClass(value: unknown): value is typeof Parser {
  return typeof value === 'function' && typeof (value.prototype as Parser | undefined)?.parse === 'function';
}

/**
 * Loads the hook-free build of the parser once (later calls share the first). Never rejects: on any
 * failure the Node build stays in use.
 */
export function loadFastParser(): Promise<void> {
  loading ??= (async () => {
    try {
      const require = createRequire(import.meta.url);
      const root = dirname(require.resolve('yaml/package.json'));
      const url = pathToFileURL(join(root, 'browser', 'dist', 'parse', 'parser.js')).href;
      const mod = (await import(url)) as { Parser?: unknown };
      if (isParserClass(mod.Parser)) YamlParser = mod.Parser;
    } catch {
      // Keep the Node build.
    }
  })();
  return loading;
}
