/**
 * How `thread: 'auto'` chooses between the calling thread and the transport thread once the process
 * is busy: by measuring both, not by guessing.
 *
 * Which one is faster depends on the machine and on the moment, not only on the workload. On the
 * 2-vCPU machine of docs/benchmarks.md the same registry scan ran 13–28 % faster inline when the
 * machine was fast (the transport thread's messages and wake-ups then cost more than the exchanges
 * they take off the calling thread), and 4–12 % faster on the thread when it was slow; a loop that
 * only sends requests runs 2–3× faster inline. So the chooser runs a short trial whenever its last
 * answer has expired: it times the same number of completed exchanges in each mode, in the order
 * A B B A (which cancels a steady drift of the machine's speed), and keeps the faster mode for a
 * while. The thread must win by a margin, since it costs more CPU for the same work.
 *
 * - A trial starts only while the process is busy: at a request sent with at least `busyAt`
 *   exchanges in flight. Its clock pauses while fewer than half that are in flight (the caller's
 *   demand fell, and the time would measure the caller, not the transport), so a trial can span
 *   several bursts of work (scans, say) and the pauses between them.
 * - After a switch, the exchanges still in flight under the previous mode complete uncounted.
 * - The answer is kept for {@link AUTO_HOLD_MS}, doubled while trials agree (up to
 *   {@link AUTO_HOLD_MAX_MS}), so a steady process spends little time in the slower mode, and a
 *   process whose machine changes speed follows it.
 *
 * Pure: the caller passes the time and the count of exchanges in flight, so that it can be tested
 * with a simulated pipeline. Internal.
 *
 * @packageDocumentation
 */

/** Where an exchange goes. */
export type AutoChoice = 'inline' | 'thread';

/** Exchanges timed in each phase of a trial (after those of the previous mode complete). */
export const AUTO_TRIAL_EXCHANGES = 128;
/** How long a trial's answer is kept at first, in ms. */
export const AUTO_HOLD_MS = 2_000;
/** The longest an answer is kept, in ms (it doubles up to this while trials agree). */
export const AUTO_HOLD_MAX_MS = 30_000;
/**
 * The thread is chosen only when its phases took less than this share of the inline phases' time:
 * it costs more CPU (messages, a copy of each body, its own GC) for the same exchanges, which other
 * work in the process or on the machine would feel.
 */
export const AUTO_THREAD_ADVANTAGE = 0.95;

interface Trial {
  /** The mode of each phase: A B B A, A being the mode in use when the trial began. */
  readonly order: readonly [AutoChoice, AutoChoice, AutoChoice, AutoChoice];
  phase: number;
  /** Completions still to let pass uncounted (exchanges sent under the previous phase's mode). */
  settle: number;
  /** Completions counted in this phase. */
  counted: number;
  /** Busy time of this phase so far, ms. */
  elapsed: number;
  /** The last completion (or the start) while busy; undefined while paused. */
  last: number | undefined;
  readonly durations: number[];
}

/** The outcome of a trial, for statistics and tests. */
export interface AutoTrialResult {
  /** Time of the inline phases' exchanges, ms. */
  readonly inlineMs: number;
  /** Time of the thread phases' exchanges, ms. */
  readonly threadMs: number;
  readonly chosen: AutoChoice;
  /** How long the choice is kept, ms. */
  readonly holdMs: number;
}

/** The chooser: one per process (the transport thread is one per process). Internal. */
export class AutoChooser {
  #choice: AutoChoice = 'inline';
  #holdUntil = -Infinity;
  #holdMs = 0;
  #trial: Trial | undefined;
  readonly #busyAt: number;
  readonly #exchanges: number;
  /** Called with each finished trial. */
  onTrial: ((result: AutoTrialResult) => void) | undefined;

  /**
   * @param busyAt - exchanges in flight at which the process counts as busy.
   * @param exchanges - exchanges timed per phase.
   */
  constructor(busyAt: number, exchanges = AUTO_TRIAL_EXCHANGES) {
    this.#busyAt = busyAt;
    this.#exchanges = exchanges;
  }

  /** The mode in use outside trials. */
  get choice(): AutoChoice {
    return this.#choice;
  }

  /** The mode of the current trial's phase, or undefined between trials. */
  get trialPhase(): AutoChoice | undefined {
    return this.#trial?.order[this.#trial.phase];
  }

  /**
   * Where the exchange about to be sent goes. `inFlight`: exchanges in flight before it; `now()`:
   * the time in ms, read only when a held answer may have expired.
   */
  pick(inFlight: number, now: () => number): AutoChoice {
    const trial = this.#trial;
    if (trial !== undefined) return trial.order[trial.phase]!;
    if (inFlight < this.#busyAt) return this.#choice;
    const t = now();
    if (t < this.#holdUntil) return this.#choice;
    const a = this.#choice;
    const b: AutoChoice = a === 'inline' ? 'thread' : 'inline';
    this.#trial = {
      order: [a, b, b, a],
      phase: 0,
      settle: 0,
      counted: 0,
      elapsed: 0,
      last: t,
      durations: [],
    };
    return a;
  }

  /** An exchange finished; `inFlight`: exchanges still in flight. */
  done(inFlight: number, now: () => number): void {
    const trial = this.#trial;
    if (trial === undefined) return;
    if (inFlight < this.#busyAt / 2) {
      // Demand fell: pause the clock until the process is busy again.
      trial.last = undefined;
      return;
    }
    const t = now();
    if (trial.settle > 0) {
      // At most what is in flight can still be of the previous mode.
      trial.settle = Math.min(trial.settle - 1, inFlight);
      trial.last = t;
      return;
    }
    if (trial.last === undefined) {
      // Busy again: time from here.
      trial.last = t;
      return;
    }
    trial.elapsed += t - trial.last;
    trial.last = t;
    if (++trial.counted < this.#exchanges) return;
    trial.durations.push(trial.elapsed);
    trial.phase++;
    trial.counted = 0;
    trial.elapsed = 0;
    if (trial.phase < trial.order.length) {
      // A switch: what is in flight went out under the previous mode.
      if (trial.order[trial.phase] !== trial.order[trial.phase - 1]) trial.settle = inFlight;
      return;
    }
    this.#trial = undefined;
    this.#decide(trial, t);
  }

  #decide(trial: Trial, t: number): void {
    const [a, b, c, d] = trial.durations as [number, number, number, number];
    const first = a + d;
    const second = b + c;
    const threadMs = trial.order[0] === 'thread' ? first : second;
    const inlineMs = trial.order[0] === 'thread' ? second : first;
    const chosen: AutoChoice = threadMs < inlineMs * AUTO_THREAD_ADVANTAGE ? 'thread' : 'inline';
    this.#holdMs =
      this.#holdMs > 0 && chosen === this.#choice
        ? Math.min(this.#holdMs * 2, AUTO_HOLD_MAX_MS)
        : AUTO_HOLD_MS;
    this.#choice = chosen;
    this.#holdUntil = t + this.#holdMs;
    this.onTrial?.({ inlineMs, threadMs, chosen, holdMs: this.#holdMs });
  }
}
