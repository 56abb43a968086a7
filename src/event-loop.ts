/**
 * Resolves on the next turn of the event loop (after pending I/O and messages are handled): where
 * long work on the main thread yields so that a question or a heartbeat waiting behind it runs.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
