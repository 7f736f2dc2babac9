/**
 * Shapes and parameters of the model: what fixes its tensor shapes (ModelSpec), each parameter's shape,
 * initialisation and L2 coefficient, and the flat parameter vector's layout. Loads no TensorFlow.js, so that
 * the sweep runner can size packs (memory.ts) without it; model.ts builds the computation on it.
 */
import type { Approximator, Attention, Sampler, Settings } from './config.ts';
import type { Rng } from './random.ts';
import type { Task } from './task.ts';

/** Everything that fixes tensor shapes and the computation: trials packed together share all of it. */
export interface ModelSpec {
  input: 'tokens' | 'features'; // tokens: the notebook's transformer; features: L2X's MLPs on a synthetic set
  activation: 'relu' | 'selu'; // the MLPs' (features only)
  vocab: number; // input ids 0..vocab−1, 0 = padding
  classes: number; // width of Q's logits
  tokens: number;
  dModel: number;
  heads: number;
  ff: number;
  layers: number;
  dropout: number;
  attention: Attention;
  approximator: Approximator;
  sampler: Sampler;
}

export function modelSpec(s: Settings, task: Pick<Task, 'input' | 'activation' | 'classes'> = { input: 'tokens', activation: 'relu', classes: s.vocab }): ModelSpec {
  const { vocab, tokens, dModel, heads, ff, layers, attention, approximator, sampler } = s;
  const dropout = task.input === 'features' ? 0 : s.dropout; // L2X's MLPs have none
  return { input: task.input, activation: task.activation, vocab, classes: task.classes, tokens, dModel, heads, ff, layers, dropout, attention, approximator, sampler };
}

type Init = { kind: 'normal' } | { kind: 'uniform'; bound: number } | { kind: 'constant'; value: number };
export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
  /** L2 penalty coefficient in the loss (L2X's kernel_regularizer); absent = none. */
  l2?: number;
}

/** PyTorch's nn.Linear initialisation: weight and bias ~ U(±1/√fan_in). */
function linearParams(name: string, fanIn: number, fanOut: number, bias: Init = { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) }): ParamSpec[] {
  return [
    { name: `${name}.w`, shape: [fanIn, fanOut], init: { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) } },
    { name: `${name}.b`, shape: [fanOut], init: bias },
  ];
}

function encoderParams(prefix: string, m: ModelSpec): ParamSpec[] {
  const { dModel: d, ff, vocab } = m;
  const zero: Init = { kind: 'constant', value: 0 };
  const one: Init = { kind: 'constant', value: 1 };
  // nn.Embedding(vocab, d, padding_idx=0) ~ N(0, 1) with row 0 fixed at zero: row 0 is simply absent here.
  const specs: ParamSpec[] = [{ name: `${prefix}.embed`, shape: [vocab - 1, d], init: { kind: 'normal' } }];
  for (let l = 0; l < m.layers; l++) {
    const p = `${prefix}.${l}`;
    specs.push(
      // nn.MultiheadAttention: in_proj xavier_uniform, in_proj_bias 0, out_proj bias 0
      { name: `${p}.qkv.w`, shape: [d, 3 * d], init: { kind: 'uniform', bound: Math.sqrt(6 / (d + 3 * d)) } },
      { name: `${p}.qkv.b`, shape: [3 * d], init: zero },
      ...linearParams(`${p}.out`, d, d, zero),
      { name: `${p}.ln1.g`, shape: [d], init: one },
      { name: `${p}.ln1.b`, shape: [d], init: zero },
      ...linearParams(`${p}.ff1`, d, ff),
      ...linearParams(`${p}.ff2`, ff, d),
      { name: `${p}.ln2.g`, shape: [d], init: one },
      { name: `${p}.ln2.b`, shape: [d], init: zero },
    );
  }
  return specs;
}

/** Keras's Dense: kernel glorot_uniform, bias zeros, an optional L2 penalty on the kernel. */
function denseParams(name: string, fanIn: number, fanOut: number, l2?: number): ParamSpec[] {
  return [
    { name: `${name}.w`, shape: [fanIn, fanOut], init: { kind: 'uniform', bound: Math.sqrt(6 / (fanIn + fanOut)) }, ...(l2 ? { l2 } : {}) },
    { name: `${name}.b`, shape: [fanOut], init: { kind: 'constant', value: 0 } },
  ];
}

/** L2X's synthetic-set model (explain.py): E 10→100→100→10 logits, Q 10→200→BN→200→BN→2; L2 1e-3 on kernels. */
export const MLP = { explainer: 100, approximator: 200, l2: 1e-3, bnMomentum: 0.99, bnEps: 1e-3, bnLayers: 2 } as const;

function mlpParams(m: ModelSpec): ParamSpec[] {
  const { tokens: d, classes } = m;
  const { explainer: e, approximator: a, l2 } = MLP;
  const norm = (name: string): ParamSpec[] => [
    { name: `${name}.g`, shape: [a], init: { kind: 'constant', value: 1 } },
    { name: `${name}.b`, shape: [a], init: { kind: 'constant', value: 0 } },
  ];
  return [
    ...denseParams('s1', d, e, l2),
    ...denseParams('s2', e, e, l2),
    ...denseParams('s3', e, d), // E's logits: no penalty in L2X
    ...denseParams('a1', d, a, l2),
    ...norm('bn1'),
    ...denseParams('a2', a, a, l2),
    ...norm('bn2'),
    ...denseParams('a3', a, classes, l2),
  ];
}

/** All parameters of one trial, in the order they sit in the flat parameter vector. */
export function paramSpecs(m: ModelSpec): ParamSpec[] {
  if (m.input === 'features') return mlpParams(m);
  const d = m.dModel;
  return [
    ...encoderParams('enc', m), // Feat: the explainer's encoder (and, with approximator 'shared', Q's too)
    ...linearParams('e1', d, d), // E: Linear(32, 32), ReLU, Linear(32, 1)
    ...linearParams('e2', d, 1),
    ...linearParams('q1', d, d), // Q: Linear(32, 32), ReLU, Linear(32, 10)
    ...linearParams('q2', d, m.classes),
    ...(m.approximator === 'masked' ? encoderParams('qenc', m) : []), // faithful L2X: Q has its own encoder
  ];
}

export function paramCount(m: ModelSpec): number {
  return paramSpecs(m).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** One trial's initial parameters, flat, drawn from `rng`. */
export function initialParams(m: ModelSpec, rng: Rng): Float32Array {
  const out = new Float32Array(paramCount(m));
  let i = 0;
  for (const { shape, init } of paramSpecs(m)) {
    const n = shape.reduce((a, b) => a * b, 1);
    for (let j = 0; j < n; j++, i++) {
      out[i] = init.kind === 'normal' ? rng.normal() : init.kind === 'uniform' ? (2 * rng.uniform() - 1) * init.bound : init.value;
    }
  }
  return out;
}

/** Each parameter entry's L2 coefficient in the flat vector [n]; null when the model has no penalty. */
export function l2Coefficients(m: ModelSpec): Float32Array | null {
  const specs = paramSpecs(m);
  if (!specs.some((p) => p.l2)) return null;
  const out = new Float32Array(paramCount(m));
  let i = 0;
  for (const { shape, l2 } of specs) {
    const n = shape.reduce((a, b) => a * b, 1);
    out.fill(l2 ?? 0, i, i + n);
    i += n;
  }
  return out;
}
