/**
 * Entry point of the worker threads of `updateFiles` (see `pool.ts`): runs the setter pass of
 * `rewrite.ts` on the file texts it is sent, with the policy table of their session, and sends back
 * each file's result; replaces files atomically (`write.ts`) when asked. It imports no workspace
 * package.
 */
import { parentPort } from 'node:worker_threads';
import { loadFastParser } from './parser.js';
import type { PoolReply, PoolRequest, PoolResult } from './pool.js';
import { lookupFromTable, type SetterLookup } from './resolve.js';
import { applyWithLookup, setterPass } from './rewrite.js';
import { writeAtomicSync } from './write.js';

const port = parentPort;
if (port) {
  await loadFastParser();
  const sessions = new Map<number, SetterLookup>();
  port.on('message', (message: PoolRequest) => {
    switch (message.type) {
      case 'open':
        sessions.set(message.session, lookupFromTable(new Map(message.table)));
        return;
      case 'close':
        sessions.delete(message.session);
        return;
      case 'warm': {
        const lookup = lookupFromTable(new Map(message.table));
        for (const text of message.texts) {
          try {
            applyWithLookup(text, lookup, '');
          } catch {
            // only warming up
          }
        }
        return;
      }
      case 'write': {
        const results = message.writes.map((w) => {
          const failure = writeAtomicSync(w.path, w.tmp, w.data, w.stamp);
          return failure ? { id: w.id, failure } : { id: w.id };
        });
        port.postMessage({ type: 'written', results } satisfies PoolReply);
        return;
      }
      case 'files': {
        const lookup = sessions.get(message.session);
        const results: PoolResult[] = [];
        for (const f of message.files) {
          if (!lookup) {
            results.push({ id: f.id, failed: true });
            continue;
          }
          try {
            const { result: r, analysis, next } = setterPass(f.text, lookup, f.file);
            results.push({
              id: f.id,
              ...(r.output === f.text ? {} : { output: r.output }),
              changes: r.changes,
              warnings: r.warnings,
              ...(analysis ? { analysis } : {}),
              ...(next ? { next } : {}),
            });
          } catch {
            // The main thread runs this file itself, so that it fails exactly as it would there.
            results.push({ id: f.id, failed: true });
          }
        }
        port.postMessage({ type: 'results', results } satisfies PoolReply);
        return;
      }
    }
  });
  port.postMessage({ type: 'ready' } satisfies PoolReply);
}
