/**
 * Reading a sweep file: YAML (with positions) → the zod schema → every configuration checked against the
 * model's settings schema. Any mistake is one SweepFileError line, `FILE:LINE:COL: KEY.PATH: got …; allowed …`.
 * Parsing only reads: nothing is written anywhere.
 */
import { readFileSync } from 'node:fs';
import { UserError, describeIssue, showValue } from '@l2x/errors';
import type { z } from 'zod';
import { settingsSchema, type SettingName, type Settings } from '@l2x/model/config';
import { configurations, type Configuration } from './expand-sweep.ts';
import { BAYES_DEFAULTS, SWEEP_FILE_KEYS, keysAllowedAt, sweepFileSchema, type SweepFile } from './sweep-file-schema.ts';
import type { ParameterSpec, SweepSpec } from './sweep-spec.ts';
import { sha256 } from './trial-key.ts';
import { YamlSource } from './yaml-source.ts';

/** A sweep file as read from disk. */
export interface LoadedSweep {
  spec: SweepSpec;
  /** The file's text, exactly (stored with the sweep). */
  text: string;
  /** sha256 hex of `text`: tells whether the file changed since the sweep started. */
  hash: string;
  /** The path as given. */
  path: string;
}

/** Reads and parses a sweep file. A missing or unreadable file, like a bad one, is a one-line UserError. */
export function loadSweepFile(path: string): LoadedSweep {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`sweep file not found: ${path}`, { cause: error });
    if (code === 'EISDIR') throw new UserError(`sweep file is a directory, not a file: ${path}`, { cause: error });
    throw new UserError(`cannot read sweep file ${path}: ${code ?? (error as Error).message}`, { cause: error });
  }
  return { spec: parseSweep(text, path), text, hash: sha256(text), path };
}

/** Parses the text of a sweep file; `fileName` names it in error messages. */
export function parseSweep(text: string, fileName: string): SweepSpec {
  const source = new YamlSource(text, fileName);
  if (!source.isMapping) {
    const got = source.value == null ? 'an empty file' : showValue(source.value);
    throw source.errorAt([], `got ${got}; allowed: a mapping with keys ${SWEEP_FILE_KEYS.join(', ')}`);
  }
  const result = sweepFileSchema.safeParse(source.value);
  if (!result.success) throw firstIssueError(source, result.error.issues);
  const spec = toSpec(result.data, source.value as Record<string, unknown>);
  checkConfigurations(spec, source);
  return spec;
}

/** The issue to show first, as a SweepFileError. */
function firstIssueError(source: YamlSource, issues: readonly z.core.$ZodIssue[]) {
  const located = issues.map((issue) => {
    const { path, message } = describeIssue(issue, source.value, keysAllowedAt(issue.path));
    const isKey = issue.code === 'unrecognized_keys';
    const at = isKey ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
    return { at, path, message, isKey, offset: source.offsetOf(at, { key: isKey }) };
  });
  // Schema issues before the refinements' (which may only see what the schema kept), then file order.
  const rank = (i: number) => (issues[i]!.code === 'custom' ? 1 : 0);
  const order = located.map((_, i) => i).sort((a, b) => rank(a) - rank(b) || located[a]!.offset - located[b]!.offset);
  const first = located[order[0]!]!;
  return source.errorAt(first.at, first.message, { key: first.isKey, keyPath: first.path });
}

function toSpec(file: SweepFile, raw: Record<string, unknown>): SweepSpec {
  // zod returns keys in schema order; the grid's nesting follows the file's order.
  const order = Object.keys((raw.parameters ?? {}) as object) as SettingName[];
  const parameters = order.map((name) => ({ name, spec: file.parameters[name] as ParameterSpec }));
  const trial = Object.fromEntries(Object.entries(file.trial).filter(([, v]) => v !== undefined)) as Partial<Settings>;
  const resources = { ...file.resources, devices: file.resources.devices === 'auto' ? 'auto' : [...file.resources.devices] };
  return {
    name: file.name,
    method: file.method,
    ...(file.runCap !== undefined && { runCap: file.runCap }),
    ...(file.method === 'bayes' && { bayes: file.bayes ?? BAYES_DEFAULTS }),
    ...(file.early_terminate !== undefined && { earlyTerminate: file.early_terminate }),
    seeds: typeof file.seeds === 'number' ? Array.from({ length: file.seeds }, (_, i) => i) : file.seeds,
    metric: file.metric,
    ...(file.description !== undefined && { description: file.description }),
    trial,
    parameters,
    resources: resources as SweepSpec['resources'],
  };
}

/**
 * Checks every configuration against the model's settings schema (its rules between settings, and values
 * drawn at random), and reports the first bad one at the value in the file that made it.
 */
function checkConfigurations(spec: SweepSpec, source: YamlSource): void {
  const seed = spec.seeds[0] ?? 0;
  for (const config of configurations(spec)) {
    const input = { ...spec.trial, ...config.params, seed };
    const result = settingsSchema.safeParse(input);
    if (result.success) continue;
    const issue = result.error.issues[0]!;
    const { path, message } = describeIssue(issue, input);
    throw configurationError(source, spec, config, issue.path[0] as SettingName, path, message);
  }
}

function configurationError(
  source: YamlSource,
  spec: SweepSpec,
  config: Configuration,
  name: SettingName,
  settingPath: string,
  message: string,
) {
  const pick = config.picks[name];
  if (pick !== undefined) {
    if (pick === 'drawn') return source.errorAt(['parameters', name], message.replace(/^got /, 'drew '));
    return source.errorAt(pick === 'value' ? ['parameters', name, 'value'] : ['parameters', name, 'values', pick], message);
  }
  if (name in spec.trial) return source.errorAt(['trial', name], message);
  // A default broke a rule (k = 3 with tokens: 3): name the setting, and point at the settings that changed.
  return source.errorAt([Object.keys(spec.trial).length || !spec.parameters.length ? 'trial' : 'parameters'], message, {
    keyPath: `${settingPath} (the default)`,
  });
}
