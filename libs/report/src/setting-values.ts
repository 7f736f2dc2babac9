/**
 * How setting values read in tables, labels and plot axes, and the order they sort in. Values come from the
 * trial_summary view's columns: numbers and text (JSON in the settings column), never booleans.
 */
export type SettingValue = string | number | null;

/** `0.1`, `constant`, `–` for a missing value. */
export function showSetting(value: SettingValue): string {
  if (value === null) return '–';
  return String(value);
}

/** `tau=0.1, k=3`; `all trials` when a sweep tells no configurations apart. */
export function describeKey(key: Readonly<Record<string, SettingValue>>, names: readonly string[]): string {
  if (names.length === 0) return 'all trials';
  return names.map((name) => `${name}=${showSetting(key[name] ?? null)}`).join(', ');
}

/** Numbers before text, numbers ascending, text alphabetically, missing last. */
export function compareSettings(a: SettingValue, b: SettingValue): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a.localeCompare(b);
}

/** Compares two keys setting by setting, in the order given. */
export function compareKeys(
  a: Readonly<Record<string, SettingValue>>,
  b: Readonly<Record<string, SettingValue>>,
  names: readonly string[],
): number {
  for (const name of names) {
    const order = compareSettings(a[name] ?? null, b[name] ?? null);
    if (order !== 0) return order;
  }
  return 0;
}

/** A key as text that is equal for equal values (used to match rows across sweeps). */
export function keyId(key: Readonly<Record<string, SettingValue>>, names: readonly string[]): string {
  let id = '';
  for (const name of names) {
    const value = key[name] ?? null;
    id += value === null ? '\u0001-' : `\u0001${typeof value === 'number' ? 'n' : 's'}${value}`;
  }
  return id;
}
