import { describe, expect, it } from 'vitest';
import {
  AUTO_HOLD_MAX_MS,
  AUTO_HOLD_MS,
  AUTO_TRIAL_EXCHANGES,
  AutoChooser,
  type AutoChoice,
  type AutoTrialResult,
} from './http-auto.js';

const BUSY_AT = 8;
const CONCURRENCY = 16;

interface Sim {
  readonly chooser: AutoChooser;
  readonly results: AutoTrialResult[];
  /** The mode of every exchange sent, in order. */
  readonly sent: AutoChoice[];
  /** The simulated time, ms. */
  time(): number;
  /**
   * Runs `completions` exchanges through a saturated pipeline of {@link CONCURRENCY}: the oldest
   * exchange completes `cost(its mode, now)` ms after the previous completion, and a new one is
   * sent at once. `drain`: afterwards, let every exchange in flight complete without sending more,
   * then stay idle for `idleMs`.
   */
  run(completions: number, cost: (mode: AutoChoice, now: number) => number, drain?: { idleMs: number }): void;
}

function simulate(): Sim {
  const chooser = new AutoChooser(BUSY_AT);
  const results: AutoTrialResult[] = [];
  chooser.onTrial = (r) => results.push(r);
  const sent: AutoChoice[] = [];
  const inFlight: AutoChoice[] = [];
  let t = 0;
  const now = (): number => t;
  const send = (): void => {
    const mode = chooser.pick(inFlight.length, now);
    sent.push(mode);
    inFlight.push(mode);
  };
  const complete = (cost: (mode: AutoChoice, now: number) => number): void => {
    const mode = inFlight.shift()!;
    t += cost(mode, t);
    chooser.done(inFlight.length, now);
  };
  return {
    chooser,
    results,
    sent,
    time: () => t,
    run(completions, cost, drain) {
      while (inFlight.length < CONCURRENCY) send();
      for (let i = 0; i < completions; i++) {
        complete(cost);
        send();
      }
      if (drain) {
        while (inFlight.length > 0) complete(cost);
        t += drain.idleMs;
      }
    },
  };
}

const threadFaster = (mode: AutoChoice): number => (mode === 'thread' ? 1 : 2);
const inlineFaster = (mode: AutoChoice): number => (mode === 'thread' ? 2 : 1);
/** Completions one trial needs: four phases, and two switches' worth of exchanges in flight. */
const TRIAL = 4 * AUTO_TRIAL_EXCHANGES + 2 * CONCURRENCY;

describe('AutoChooser', () => {
  it('sends inline, and reads no clock, while fewer than busyAt exchanges are in flight', () => {
    const chooser = new AutoChooser(BUSY_AT);
    const clock = (): number => {
      throw new Error('the clock was read');
    };
    for (let inFlight = 0; inFlight < BUSY_AT; inFlight++)
      expect(chooser.pick(inFlight, clock)).toBe('inline');
    chooser.done(3, clock);
    expect(chooser.trialPhase).toBeUndefined();
  });

  it('times the same number of exchanges in each mode, A B B A, and chooses the faster', () => {
    const sim = simulate();
    sim.run(TRIAL, threadFaster);
    // Each phase timed exactly its own mode's exchanges: none of the other mode's leaked in.
    expect(sim.results).toEqual([
      {
        inlineMs: 2 * AUTO_TRIAL_EXCHANGES * 2,
        threadMs: 2 * AUTO_TRIAL_EXCHANGES * 1,
        chosen: 'thread',
        holdMs: AUTO_HOLD_MS,
      },
    ]);
    expect(sim.chooser.choice).toBe('thread');
    // The phases in order: inline (in use), thread, thread, inline.
    const runs: AutoChoice[] = [];
    for (const mode of sim.sent) if (runs.at(-1) !== mode) runs.push(mode);
    expect(runs).toEqual(['inline', 'thread', 'inline', 'thread']);

    const other = simulate();
    other.run(TRIAL, inlineFaster);
    expect(other.results.map((r) => [r.chosen, r.inlineMs, r.threadMs])).toEqual([
      ['inline', 2 * AUTO_TRIAL_EXCHANGES, 4 * AUTO_TRIAL_EXCHANGES],
    ]);
  });

  it('chooses the thread only when it is faster by the margin', () => {
    const slightly = simulate();
    slightly.run(TRIAL, (mode) => (mode === 'thread' ? 0.97 : 1));
    expect(slightly.results.map((r) => r.chosen)).toEqual(['inline']);
    const clearly = simulate();
    clearly.run(TRIAL, (mode) => (mode === 'thread' ? 0.9 : 1));
    expect(clearly.results.map((r) => r.chosen)).toEqual(['thread']);
  });

  it('is not fooled by a machine that slows down steadily during the trial', () => {
    // Everything takes three times as long by the end of the trial: the phase timed last would
    // look slowest. A B B A gives both modes the same share of the slowdown.
    const slowing = (share: (mode: AutoChoice) => number) => {
      let n = 0;
      return (mode: AutoChoice): number => share(mode) * (1 + (2 * n++) / TRIAL);
    };
    const same = simulate();
    same.run(
      TRIAL,
      slowing(() => 1),
    );
    expect(same.results).toHaveLength(1);
    expect(same.results[0]!.threadMs / same.results[0]!.inlineMs).toBeCloseTo(1, 6);
    expect(same.results[0]!.chosen).toBe('inline');
    const faster = simulate();
    faster.run(
      TRIAL,
      slowing((mode) => (mode === 'thread' ? 0.9 : 1)),
    );
    expect(faster.results[0]!.threadMs / faster.results[0]!.inlineMs).toBeCloseTo(0.9, 6);
    expect(faster.results[0]!.chosen).toBe('thread');
  });

  it('keeps an answer for the hold, doubling it while trials agree, and follows a change', () => {
    const sim = simulate();
    sim.run(TRIAL, threadFaster);
    expect(sim.results).toHaveLength(1);
    // Within the hold: the thread, and no trial.
    const before = sim.sent.length;
    sim.run(AUTO_HOLD_MS - 50, threadFaster);
    expect(sim.results).toHaveLength(1);
    expect(sim.sent.slice(before).every((m) => m === 'thread')).toBe(true);
    // After it: a trial (thread first now), which agrees: the hold doubles.
    sim.run(100 + TRIAL, threadFaster);
    expect(sim.results.map((r) => [r.chosen, r.holdMs])).toEqual([
      ['thread', AUTO_HOLD_MS],
      ['thread', 2 * AUTO_HOLD_MS],
    ]);
    // The machine changes: the next trial follows it, and the hold starts short again.
    sim.run(2 * AUTO_HOLD_MS + TRIAL, inlineFaster);
    expect(sim.results.map((r) => [r.chosen, r.holdMs])).toEqual([
      ['thread', AUTO_HOLD_MS],
      ['thread', 2 * AUTO_HOLD_MS],
      ['inline', AUTO_HOLD_MS],
    ]);
    expect(sim.chooser.choice).toBe('inline');
  });

  it('never holds an answer longer than the maximum', () => {
    const sim = simulate();
    while (sim.results.length < 8) sim.run(1000, inlineFaster);
    const holds = sim.results.map((r) => r.holdMs);
    expect(holds.slice(0, 5)).toEqual(
      [1, 2, 4, 8, 16].map((k) => Math.min(k * AUTO_HOLD_MS, AUTO_HOLD_MAX_MS)),
    );
    expect(Math.max(...holds)).toBe(AUTO_HOLD_MAX_MS);
  });

  it('pauses its clock while demand falls, so a trial spans bursts of work and the pauses between', () => {
    const sim = simulate();
    // Bursts of 100 completions, each followed by a drain and an hour of idleness.
    for (let i = 0; i < 12 && sim.results.length === 0; i++)
      sim.run(100, threadFaster, { idleMs: 3_600_000 });
    // The idle hours are not counted; the drains' completions are timed only while at least half
    // of busyAt were in flight, and each phase still timed only its own mode.
    expect(sim.results).toEqual([
      {
        inlineMs: 2 * AUTO_TRIAL_EXCHANGES * 2,
        threadMs: 2 * AUTO_TRIAL_EXCHANGES * 1,
        chosen: 'thread',
        holdMs: AUTO_HOLD_MS,
      },
    ]);
  });

  it('starts no trial while the process is not busy, even after the hold', () => {
    const chooser = new AutoChooser(BUSY_AT);
    let reads = 0;
    const clock = (): number => {
      reads++;
      return 1e9;
    };
    for (let i = 0; i < 1000; i++) {
      expect(chooser.pick(BUSY_AT - 1, clock)).toBe('inline');
      chooser.done(BUSY_AT - 2, clock);
    }
    expect(reads).toBe(0);
    expect(chooser.trialPhase).toBeUndefined();
    chooser.pick(BUSY_AT, clock);
    expect(chooser.trialPhase).toBe('inline');
  });
});
