import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Footer } from './Footer.tsx';
import { SectionTitle } from './SectionTitle.tsx';

describe('Footer and SectionTitle', () => {
  it('shows the keys, or the problem with the last read', () => {
    expect(render(<Footer width={80} colour={false} />).lastFrame()).toBe('↑/↓ move · tab group by · s sort · q quit');
    expect(render(<Footer width={30} colour={false} problem="database is locked" />).lastFrame()).toBe('! database is locked');
  });

  it('draws a rule with the title and a hint across the width', () => {
    expect(render(<SectionTitle width={30} colour={false} title="Running" hint="s: sort" />).lastFrame()).toBe('─ Running ────────── s: sort ─');
    expect(render(<SectionTitle width={8} colour={false} title="Leaderboard" hint="s: sort" />).lastFrame()).toBe('─ Leade…');
  });
});
