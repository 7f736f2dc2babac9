/**
 * What a trial learns to explain. A task makes seeded batches and knows, for each input, which positions are
 * really evidence for the label (the ground truth that explanation precision is measured against).
 *
 * The majority-token task is the seed notebook's CustomDataset. L2X's synthetic tabular sets (continuous
 * features, known relevant features) can be added behind the same interface.
 */
import type { Settings, TaskName } from './config.ts';
import type { Rng } from './random.ts';

/** One batch, flat and row-major. */
export interface Batch {
  size: number;
  /** Token ids, [size, tokens]; 0 is padding and never appears in the data. */
  ids: Int32Array;
  /** Class labels, [size]. */
  labels: Int32Array;
  /** 1 where the position is evidence for the label, [size, tokens]. */
  relevant: Float32Array;
}

export interface Task {
  name: TaskName;
  /** Sequence length. */
  tokens: number;
  /** Size of the input vocabulary including the padding id 0. */
  vocab: number;
  /** Number of classes the approximator predicts (logits width). */
  classes: number;
  /** Draws a batch from `rng`: the same rng state gives the same batch. */
  batch(rng: Rng, size: number): Batch;
}

/**
 * The notebook's data: 9 tokens drawn from 1..9, the first 5 set to the label, shuffled.
 * `x = randint(1, 10, (9,)); y = x[0]; x[:5] = y; x = x[randperm(9)]`.
 */
export function majorityTask(s: Pick<Settings, 'vocab' | 'tokens' | 'labelTokens'>): Task {
  const { vocab, tokens, labelTokens } = s;
  return {
    name: 'majority',
    tokens,
    vocab,
    classes: vocab, // the notebook's Q ends in Linear(32, 10): one logit per token id
    batch(rng, size) {
      const ids = new Int32Array(size * tokens);
      const labels = new Int32Array(size);
      const relevant = new Float32Array(size * tokens);
      const row = new Int32Array(tokens);
      for (let b = 0; b < size; b++) {
        for (let t = 0; t < tokens; t++) row[t] = rng.int(1, vocab);
        const y = row[0]!;
        for (let t = 0; t < labelTokens; t++) row[t] = y;
        for (let t = tokens - 1; t > 0; t--) {
          const j = rng.int(0, t + 1);
          const tmp = row[t]!;
          row[t] = row[j]!;
          row[j] = tmp;
        }
        labels[b] = y;
        for (let t = 0; t < tokens; t++) {
          ids[b * tokens + t] = row[t]!;
          relevant[b * tokens + t] = row[t] === y ? 1 : 0;
        }
      }
      return { size, ids, labels, relevant };
    },
  };
}

export function createTask(s: Settings): Task {
  switch (s.task) {
    case 'majority':
      return majorityTask(s);
  }
}
