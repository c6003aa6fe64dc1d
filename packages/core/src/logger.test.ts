import { describe, expect, it } from 'vitest';
import { createConsoleLogger, silentLogger } from './logger.js';

describe('logger', () => {
  it('silentLogger prints nothing', () => {
    expect(() => silentLogger.error('x', { a: 1 })).not.toThrow();
  });

  it('createConsoleLogger honours the level and formats fields', () => {
    const lines: string[] = [];
    const log = createConsoleLogger({ level: 'warn', write: (l) => lines.push(l) });
    log.info('hidden');
    log.warn('shown', { n: 1 });
    expect(lines).toEqual(['WARN  shown {"n":1}']);
  });

  it('json mode writes one object per line', () => {
    const lines: string[] = [];
    createConsoleLogger({ json: true, write: (l) => lines.push(l) }).info('hello', { k: 'v' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'hello', k: 'v' });
  });
});
