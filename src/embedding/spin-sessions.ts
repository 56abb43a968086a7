/**
 * The embedder's onnxruntime sessions and which one runs a model call (ONNX_SPINNING):
 * - `on`: one session, spinning, for everything; `off`: one calm session.
 * - `auto` on the main thread: the calm session for batches (a reload's texts: spinning threads
 *   lose most under load and gain little idle) and for questions by default; a second, spinning
 *   session of the same model is loaded in the background after three calm questions once the
 *   cores look free (spin-choice.ts; with all-MiniLM-L6-v2 it adds 65–110 MB RSS in a fresh
 *   process and up to about 300 MB after a few hundred questions, README "Load-adaptive
 *   spinning"; a machine that is never quiet never pays it), and questions go to it while it
 *   measures faster.
 * - `auto` in the embedding worker: calm only (it runs beside the main thread's questions).
 */
import type { SpinningSetting } from '../config.ts';
import { errorMessage } from '../errors.ts';
import { log } from '../log.ts';
import { cpuPressure } from './cpu-pressure.ts';
import {
  chooseSession,
  initialSpinState,
  recordCall,
  type SessionKind,
  type SpinState,
  shouldLoadSpinning,
} from './spin-choice.ts';

export interface SpinSessionsOptions<Model> {
  setting: SpinningSetting;
  /** Whether questions may choose (`auto` on the main thread). */
  adaptive: boolean;
  /** The session loaded with the embedder: spinning with `on`, calm otherwise. */
  loaded: Model;
  loadSpinning: () => Promise<Model>;
  /** Another embedding job of this process is running (the worker's, or a batch job here). */
  ingestRunning: () => boolean;
}

export class SpinSessions<Model> {
  private state = initialSpinState();
  private spinning: Model | null = null;
  private loading = false;
  /** The last CPU pressure read (for the debug log). */
  private pressure = 0;
  private readonly calls: Record<SessionKind, number> = { spinning: 0, calm: 0 };

  constructor(private readonly options: SpinSessionsOptions<Model>) {}

  /** Questions (one-text calls, and questions with their words) run per session so far. */
  questionCalls(): Readonly<Record<SessionKind, number>> {
    return { ...this.calls };
  }

  /**
   * The session for a model call of `texts` texts; `question`: it embeds a question (alone, or
   * with a few words riding along), so it is chosen as a question's call is.
   */
  pick(texts: number, question = texts === 1): { kind: SessionKind; model: Model } {
    const fixed: SessionKind = this.options.setting === 'on' ? 'spinning' : 'calm';
    if (!question || !this.options.adaptive) return { kind: fixed, model: this.options.loaded };
    const now = performance.now();
    const signals = { ingestRunning: this.options.ingestRunning(), pressure: cpuPressure.read(now), now };
    this.pressure = signals.pressure;
    if (!this.spinning && shouldLoadSpinning(this.state, signals)) this.loadInBackground();
    const { use, state } = chooseSession(this.state, { ...signals, spinningReady: this.spinning !== null });
    this.update(state);
    return use === 'spinning' && this.spinning
      ? { kind: 'spinning', model: this.spinning }
      : { kind: 'calm', model: this.options.loaded };
  }

  /**
   * A model call of `texts` texts on `kind` took `ms`. Only one-text calls' times are compared
   * (a question with words riding along takes longer on either session).
   */
  record(texts: number, kind: SessionKind, ms: number, question = texts === 1): void {
    if (!question) return;
    this.calls[kind]++;
    if (!this.options.adaptive || texts !== 1) return;
    this.update(recordCall(this.state, kind, ms, performance.now()));
  }

  /** Takes the new state; for LOG_LEVEL=debug, says when a trial starts or questions change session, and why. */
  private update(state: SpinState): void {
    const phase = (s: SpinState) => (s.trialLeft > 0 ? 'trying spinning' : `questions ${s.current}`);
    const changed = phase(state) !== phase(this.state);
    this.state = state;
    if (!changed) return;
    const ms = (kind: SessionKind) => state.recent[kind].map((t) => t.toFixed(1)).join(' ');
    log.debug(
      `embedder: ${phase(state)} (recent ms: spinning ${ms('spinning')}; calm ${ms('calm')}; CPU pressure ${this.pressure.toFixed(0)} %; next trial after ${state.backoffMs} ms)`,
    );
  }

  private loadInBackground(): void {
    if (this.loading) return;
    this.loading = true;
    this.options.loadSpinning().then(
      (model) => {
        this.spinning = model;
      },
      // Stays calm for good: the calm session already works, so this is worth a warning only.
      (error) =>
        log.warn(`embedder: cannot load the spinning session, questions stay calm: ${errorMessage(error)}`),
    );
  }
}
