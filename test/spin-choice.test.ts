/** ONNX_SPINNING=auto: the choice between the spinning and the calm session, as a pure function of its signals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCoreConfig } from '../src/config.ts';
import { parsePressure, pressureBetween, pressureFromLoad } from '../src/embedding/cpu-pressure.ts';
import {
  CALM_REFRESH_EVERY,
  chooseSession,
  initialSpinState,
  MAX_BACKOFF_MS,
  PRESSURE_TO_TRY,
  recordCall,
  type SessionKind,
  type SpinSignals,
  type SpinState,
  shouldLoadSpinning,
  TRIAL_BACKOFF_MS,
  TRIAL_CALLS,
} from '../src/embedding/spin-choice.ts';

const idle: SpinSignals = { ingestRunning: false, pressure: 0, spinningReady: true, now: 0 };

/** Asks one question: chooses, then records `ms(kind)` as its time. */
function ask(
  state: SpinState,
  signals: SpinSignals,
  ms: (kind: SessionKind) => number,
): { use: SessionKind; state: SpinState } {
  const chosen = chooseSession(state, signals);
  return { use: chosen.use, state: recordCall(chosen.state, chosen.use, ms(chosen.use), signals.now) };
}

/** Asks `n` questions one millisecond apart from `signals.now`; the sessions used, in order. */
function askMany(
  state: SpinState,
  n: number,
  signals: SpinSignals,
  ms: (kind: SessionKind) => number,
): { used: SessionKind[]; state: SpinState } {
  const used: SessionKind[] = [];
  let current = state;
  for (let i = 0; i < n; i++) {
    const next = ask(current, { ...signals, now: signals.now + i }, ms);
    used.push(next.use);
    current = next.state;
  }
  return { used, state: current };
}

// Idle-machine times from this 2-core machine: spinning 2.4 ms, calm 3.8 ms; loaded: 21.8 vs 5.7.
const idleTimes = (kind: SessionKind) => (kind === 'spinning' ? 2.4 : 3.8);
const loadedTimes = (kind: SessionKind) => (kind === 'spinning' ? 21.8 : 5.7);

describe('spinning choice (ONNX_SPINNING=auto)', () => {
  it('starts calm, tries spinning on an idle machine and keeps it when it measures faster', () => {
    const { used, state } = askMany(initialSpinState(), 30, idle, idleTimes);
    assert.deepEqual(used.slice(0, 3), ['calm', 'calm', 'calm'], 'calm until there is a reference');
    assert.deepEqual(used.slice(3, 3 + TRIAL_CALLS), Array(TRIAL_CALLS).fill('spinning'), 'the trial');
    assert.ok(used.slice(3 + TRIAL_CALLS).filter((u) => u === 'spinning').length >= 20, used.join(' '));
    assert.equal(state.current, 'spinning');
  });

  it('refreshes the calm reference every so often while spinning', () => {
    const { used } = askMany(
      initialSpinState(),
      3 + TRIAL_CALLS + 2 * CALM_REFRESH_EVERY + 2,
      idle,
      idleTimes,
    );
    const afterTrial = used.slice(3 + TRIAL_CALLS);
    assert.equal(afterTrial.filter((u) => u === 'calm').length, 2, afterTrial.join(' '));
  });

  it('ends a trial at once on a loaded machine and waits longer before each next one', () => {
    // Pressure reads low (as between a loaded machine's bursts) but the calls say otherwise.
    let { used, state } = askMany(initialSpinState(), 4, idle, loadedTimes);
    assert.deepEqual(used, ['calm', 'calm', 'calm', 'spinning']);
    assert.equal(state.current, 'calm', 'one call 3.8× the calm median ends the trial');
    assert.equal(state.nextTrialAt, 3 + 2 * TRIAL_BACKOFF_MS);
    ({ used, state } = askMany(state, 50, { ...idle, now: 4 }, loadedTimes));
    assert.ok(
      used.every((u) => u === 'calm'),
      'no trial within the backoff',
    );
    ({ used, state } = askMany(state, 1, { ...idle, now: 3 + 2 * TRIAL_BACKOFF_MS }, loadedTimes));
    assert.deepEqual(used, ['spinning'], 'the next trial after it');
    assert.equal(state.backoffMs, 4 * TRIAL_BACKOFF_MS, 'doubled again');
    for (let i = 0; i < 20; i++)
      state = recordCall({ ...state, current: 'spinning', trialLeft: 1 }, 'spinning', 99, 0);
    assert.equal(state.backoffMs, MAX_BACKOFF_MS, 'capped');
  });

  it('keeps calm after a trial that is not faster by the margin', () => {
    const even = () => 3.8;
    const { used, state } = askMany(initialSpinState(), 3 + TRIAL_CALLS + 5, idle, even);
    assert.deepEqual(used.slice(3, 3 + TRIAL_CALLS), Array(TRIAL_CALLS).fill('spinning'));
    assert.deepEqual(used.slice(3 + TRIAL_CALLS), Array(5).fill('calm'));
    assert.equal(state.current, 'calm');
  });

  it('stops spinning when its calls become slower than the calm reference (the machine got busy)', () => {
    let { state } = askMany(initialSpinState(), 3 + TRIAL_CALLS, idle, idleTimes);
    assert.equal(state.current, 'spinning');
    const { used, state: after } = askMany(state, 10, { ...idle, now: 100 }, loadedTimes);
    state = after;
    // The median of the last TRIAL_CALLS spinning calls turns once most of them are slow.
    assert.deepEqual(used.slice(0, 4), ['spinning', 'spinning', 'spinning', 'calm'], used.join(' '));
    assert.equal(state.current, 'calm');
  });

  it('never spins while an ingest is embedding, even mid-way through spinning', () => {
    const spinningState = askMany(initialSpinState(), 3 + TRIAL_CALLS, idle, idleTimes).state;
    assert.equal(chooseSession(spinningState, idle).use, 'spinning', 'the state alone would spin');
    const { used } = askMany(spinningState, 40, { ...idle, now: 100, ingestRunning: true }, idleTimes);
    assert.ok(
      used.every((u) => u === 'calm'),
      used.join(' '),
    );
    assert.equal(
      askMany(initialSpinState(), 40, { ...idle, ingestRunning: true }, idleTimes).used.includes('spinning'),
      false,
    );
  });

  it('tries only below the pressure threshold; once spinning, its call times decide, not pressure', () => {
    const busy = askMany(initialSpinState(), 30, { ...idle, pressure: PRESSURE_TO_TRY }, idleTimes);
    assert.ok(
      busy.used.every((u) => u === 'calm'),
      'no trial at the threshold',
    );
    const spinning = askMany(initialSpinState(), 3 + TRIAL_CALLS, idle, idleTimes).state;
    const kept = askMany(spinning, 10, { ...idle, pressure: 100, now: 50 }, idleTimes);
    assert.ok(kept.used.filter((u) => u === 'spinning').length >= 9, 'still faster: kept at any pressure');
    const stopped = askMany(spinning, 10, { ...idle, pressure: 100, now: 50 }, loadedTimes);
    assert.equal(stopped.state.current, 'calm', 'slower: stopped');
    assert.ok(stopped.state.nextTrialAt > 50, 'and no trial straight away');
  });

  it('loads the spinning session only after a calm reference, on free cores, with no reload embedding', () => {
    const referenced = askMany(initialSpinState(), 3, { ...idle, spinningReady: false }, idleTimes).state;
    const free = { ingestRunning: false, pressure: PRESSURE_TO_TRY - 1 };
    assert.equal(shouldLoadSpinning(referenced, free), true);
    assert.equal(shouldLoadSpinning(referenced, { ...free, pressure: null }), true);
    assert.equal(shouldLoadSpinning(referenced, { ...free, pressure: PRESSURE_TO_TRY }), false);
    assert.equal(shouldLoadSpinning(referenced, { ...free, ingestRunning: true }), false);
    assert.equal(shouldLoadSpinning(initialSpinState(), free), false, 'not for a one-question run');
  });

  it('stays calm until the spinning session is loaded, and tries without a pressure reading', () => {
    const notReady = askMany(initialSpinState(), 20, { ...idle, spinningReady: false }, idleTimes);
    assert.ok(notReady.used.every((u) => u === 'calm'));
    const unknown = askMany(initialSpinState(), 10, { ...idle, pressure: null }, idleTimes);
    assert.ok(unknown.used.includes('spinning'), 'no PSI and no reading: the call times decide');
  });
});

describe('CPU pressure signal', () => {
  it('reads /proc/pressure/cpu: the share of the span since the previous reading, else the 10 s average', () => {
    const text =
      'some avg10=6.60 avg60=14.36 avg300=26.65 total=9823943390\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
    const first = parsePressure(text);
    assert.deepEqual(first, { avg10: 6.6, totalUs: 9823943390 });
    assert.equal(parsePressure('garbage'), null);
    if (!first) return;
    const later = { avg10: 50, totalUs: first.totalUs + 300_000 };
    assert.equal(pressureBetween(first, later, 1000), 30, '0.3 s of waiting in 1 s');
    assert.equal(pressureBetween(null, later, 1000), 50, 'first reading');
    assert.equal(pressureBetween(first, later, 60_000), 50, 'a long gap: the recent 10 s say more');
  });

  it('falls back to the load average beyond our own thread, per core', () => {
    assert.equal(pressureFromLoad(0.5, 2), 0);
    assert.equal(pressureFromLoad(2, 2), 50);
    assert.equal(pressureFromLoad(9, 2), 100);
  });
});

describe('ONNX_SPINNING setting', () => {
  it('is calm by default, auto when asked, and forced by 1 or 0', () => {
    assert.equal(loadCoreConfig({}).onnxSpinning, 'off');
    assert.equal(loadCoreConfig({ ONNX_SPINNING: 'auto' }).onnxSpinning, 'auto');
    assert.equal(loadCoreConfig({ ONNX_SPINNING: '1' }).onnxSpinning, 'on');
    assert.equal(loadCoreConfig({ ONNX_SPINNING: 'true' }).onnxSpinning, 'on');
    assert.equal(loadCoreConfig({ ONNX_SPINNING: '0' }).onnxSpinning, 'off');
    assert.throws(() => loadCoreConfig({ ONNX_SPINNING: 'sometimes' }), /ONNX_SPINNING must be auto, 1 or 0/);
  });
});
