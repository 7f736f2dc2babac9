/** Temperature schedules for the explainer's relaxed sampler. `t` is the step (0 … steps). */
import type { Settings } from './config.ts';

export type ScheduleSettings = Pick<Settings, 'tau' | 'tauMin' | 'anneal' | 'annealRate' | 'steps'>;

export function temperature(s: ScheduleSettings, t: number): number {
  const progress = Math.min(1, Math.max(0, t / s.steps));
  switch (s.anneal) {
    case 'constant':
      return s.tau;
    case 'linear': // the notebook's commented line: max(0.1, (1000 − bid)/1000 · 0.3)
      return Math.max(s.tauMin, s.tau * (1 - progress));
    case 'exponential': // Jang et al. 2017
      return Math.max(s.tauMin, s.tau * Math.exp(-s.annealRate * t));
    case 'cosine':
      return s.tauMin + (s.tau - s.tauMin) * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
}
