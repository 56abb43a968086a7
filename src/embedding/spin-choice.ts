/**
 * Which onnxruntime session embeds the next question with ONNX_SPINNING=auto: the one whose
 * intra-op threads spin-wait for work, or the calm one (NO_SPINNING in embedder.ts). Spinning is
 * the faster call on cores nothing else uses (2.4 vs 3.8 ms on this 2-core machine, idle) and
 * 1.5–6× slower when other processes share them, and which of the two a moment is changes within
 * seconds. So the choice is made from what the process sees, as a pure function of these signals
 * (the embedder keeps the state and feeds it):
 *
 * - **Ingest**: while a reload embeds (in the embedding worker, or a batch on the main thread),
 *   never spin: its threads need the cores.
 * - **CPU pressure** of the machine (the share of time some task waited for a core, see
 *   cpu-pressure.ts): a trial of spinning starts only below PRESSURE_TO_TRY. Pressure does not
 *   stop spinning: it includes our own threads (a reload's burst keeps the 10 s figure high for
 *   seconds after it), while the call times below say at once whether spinning still pays.
 * - **Our own call times**: a trial runs TRIAL_CALLS questions spinning and keeps spinning only if
 *   their median beats the calm calls' recent median by WIN_MARGIN; while spinning, every
 *   CALM_REFRESH_EVERY-th question goes calm to keep that reference fresh, and spinning stops once
 *   the median of its last TRIAL_CALLS calls is no longer below it. Entering needs a 10 % win,
 *   leaving only a loss: that gap, and the wait after a failed trial (TRIAL_BACKOFF_MS, doubled
 *   after each failure up to MAX_BACKOFF_MS, so a loaded machine pays for a trial rarely), are the
 *   hysteresis.
 */

export type SessionKind = 'spinning' | 'calm';

/** Recent call times per session, newest last, at most WINDOW each. */
export interface SpinState {
  current: SessionKind;
  /** Spinning calls left in the running trial; 0 outside a trial. */
  trialLeft: number;
  recent: Record<SessionKind, number[]>;
  /** Questions answered spinning since the last calm one (for CALM_REFRESH_EVERY). */
  sinceCalm: number;
  /** No trial before this time (ms, the caller's clock). */
  nextTrialAt: number;
  backoffMs: number;
}

export interface SpinSignals {
  /** A reload is embedding (the embedding worker has a job, or a batch runs on the main thread). */
  ingestRunning: boolean;
  /** CPU pressure, 0–100; null when the machine does not say. */
  pressure: number | null;
  /** The spinning session is loaded (in the background, see shouldLoadSpinning). */
  spinningReady: boolean;
  now: number;
}

/**
 * Measured here (blocks of 20 questions, spinning against calm, pressure read just before): at
 * pressure above 70 spinning lost every block; below it, it won about one block in five, so
 * pressure only rules out the hopeless moments and the trial decides the rest.
 */
export const PRESSURE_TO_TRY = 70;
export const TRIAL_CALLS = 5;
export const WIN_MARGIN = 0.9;
/** A trial call this many times the calm median ends the trial at once (a loaded machine). */
export const TRIAL_ABORT_FACTOR = 2.5;
export const CALM_REFRESH_EVERY = 16;
export const WINDOW = 9;
/** Calm calls needed before a trial can be judged. */
export const MIN_CALM_SAMPLES = 3;
export const TRIAL_BACKOFF_MS = 5_000;
export const MAX_BACKOFF_MS = 5 * 60_000;

export function initialSpinState(): SpinState {
  return {
    current: 'calm',
    trialLeft: 0,
    recent: { spinning: [], calm: [] },
    sinceCalm: 0,
    nextTrialAt: 0,
    backoffMs: TRIAL_BACKOFF_MS,
  };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Back to calm, with the next trial after the (grown, if `grow`) backoff. */
function backToCalm(state: SpinState, now: number, grow: boolean): SpinState {
  const backoffMs = grow ? Math.min(state.backoffMs * 2, MAX_BACKOFF_MS) : state.backoffMs;
  return { ...state, current: 'calm', trialLeft: 0, sinceCalm: 0, nextTrialAt: now + backoffMs, backoffMs };
}

/** The session for the next question, and the state after choosing it. */
export function chooseSession(
  state: SpinState,
  signals: SpinSignals,
): { use: SessionKind; state: SpinState } {
  if (signals.ingestRunning || !signals.spinningReady) return { use: 'calm', state };
  const { pressure, now } = signals;
  if (state.current === 'spinning') {
    if (state.trialLeft === 0 && state.sinceCalm >= CALM_REFRESH_EVERY) return { use: 'calm', state };
    return { use: 'spinning', state };
  }
  const mayTry =
    now >= state.nextTrialAt &&
    state.recent.calm.length >= MIN_CALM_SAMPLES &&
    (pressure === null || pressure < PRESSURE_TO_TRY);
  if (!mayTry) return { use: 'calm', state };
  return {
    use: 'spinning',
    state: {
      ...state,
      current: 'spinning',
      trialLeft: TRIAL_CALLS,
      recent: { ...state.recent, spinning: [] },
    },
  };
}

/**
 * Whether to load the spinning session (in the background): once there is a calm reference to try
 * it against and the cores look free enough for a trial. A one-question CLI run never loads it,
 * and a machine that is always busy never pays its memory.
 */
export function shouldLoadSpinning(
  state: SpinState,
  signals: Omit<SpinSignals, 'spinningReady' | 'now'>,
): boolean {
  return (
    state.recent.calm.length >= MIN_CALM_SAMPLES &&
    !signals.ingestRunning &&
    (signals.pressure === null || signals.pressure < PRESSURE_TO_TRY)
  );
}

/** The state after a question took `ms` on session `used`. */
export function recordCall(state: SpinState, used: SessionKind, ms: number, now: number): SpinState {
  const recent = { ...state.recent, [used]: [...state.recent[used], ms].slice(-WINDOW) };
  const next: SpinState = { ...state, recent, sinceCalm: used === 'calm' ? 0 : state.sinceCalm + 1 };
  if (used !== 'spinning' || state.current !== 'spinning') return next;
  const calm = median(state.recent.calm);
  if (state.trialLeft > 0) {
    if (ms > calm * TRIAL_ABORT_FACTOR) return backToCalm(next, now, true);
    const trialLeft = state.trialLeft - 1;
    if (trialLeft > 0) return { ...next, trialLeft };
    return median(recent.spinning) <= calm * WIN_MARGIN
      ? { ...next, trialLeft: 0, backoffMs: TRIAL_BACKOFF_MS }
      : backToCalm(next, now, true);
  }
  // Spinning for a while: stop once its recent calls are no faster than the calm reference.
  const latest = recent.spinning.slice(-TRIAL_CALLS);
  return latest.length >= TRIAL_CALLS && median(latest) > calm ? backToCalm(next, now, false) : next;
}
