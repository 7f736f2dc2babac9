/**
 * Stable identities of trials: a hash of their fully resolved settings, so that the same trial gets the
 * same key in every run of a sweep, on every machine, whatever the order of keys or the file's spelling
 * (`1.0` and `1` are one number). A changed model default changes the keys, as it changes the trial.
 */
import { createHash } from 'node:crypto';
import type { Settings } from '@l2x/model/config';

/** JSON with object keys sorted at every level: one text per value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The trial's key: the first 16 hex digits of the sha256 of its canonical settings, seed included. */
export function trialKey(settings: Settings): string {
  return shortHash(canonicalJson(settings));
}

/** The configuration's key: as `trialKey` without the seed, so all seeds of a configuration share it. */
export function configKey(settings: Settings | Omit<Settings, 'seed'>): string {
  const { seed: _seed, ...rest } = settings as Settings;
  return shortHash(canonicalJson(rest));
}

/** sha256 hex of a text (a sweep file's identity: was it edited since the sweep started?). */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
