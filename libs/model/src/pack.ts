/**
 * Which trials can train together in one pack: those whose tensor shapes and computation are the same.
 * k, the temperature schedule, the auxiliary weight, learning rate, weight decay, labelTokens and the seed
 * may differ between the trials of a pack. This file loads no TensorFlow.js.
 */
import type { Settings } from './config.ts';

/** The settings that must be equal for two trials to share a pack. */
export const PACK_SETTINGS = [
  'task',
  'vocab',
  'tokens',
  'dModel',
  'heads',
  'ff',
  'layers',
  'dropout',
  'approximator',
  'attention',
  'sampler',
  'batchSize',
  'steps',
  'evalEvery',
  'evalSize',
] as const satisfies ReadonlyArray<keyof Settings>;

/** Trials with equal keys can be trained together by trainPack. */
export function packKey(settings: Settings): string {
  return JSON.stringify(PACK_SETTINGS.map((name) => settings[name]));
}
