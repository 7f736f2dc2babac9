/**
 * The results database's schema: tables, migrations and the SQL views people query.
 *
 * Versioned with `PRAGMA user_version` (the number of migrations applied). Migrations run only in the
 * sweeper (the one writer), before any worker starts; readers refuse a database from a newer schema.
 * Times are ISO-8601 UTC text so that `sqlite3` shows them readably.
 */
import { METRIC_NAMES, SETTING_NAMES } from '@l2x/model/config';

const NOW = `strftime('%Y-%m-%dT%H:%M:%fZ','now')`;

/** Setting columns: every setting under its own name (`tau`, `k`, `anneal`, …); the seed is a column already. */
const SETTINGS_BUT_SEED = SETTING_NAMES.filter((name) => name !== 'seed');

/** The metric columns the first schema had; later metrics come with their own migration. */
const FIRST_METRICS = ['loss', 'mean_acc', 'soft_acc', 'hard_acc', 'gap', 'precision', 'mask_sum', 'mask_distinct'] as const;
/** The explanation metrics against the known truth (migration 5). */
const TRUTH_METRICS = ['median_rank', 'tpr', 'fdr'] as const;

/** A completed trial's wall time in ms (start to finish), else its training time. */
const wallMs = (row: string) => {
  const ms = `(unixepoch(${row}.finished_at, 'subsec') - unixepoch(${row}.started_at, 'subsec')) * 1000.0`;
  return `coalesce(CASE WHEN ${ms} >= 0 THEN ${ms} END, ${row}.train_ms)`;
};

/**
 * `column = column ± what row (NEW or OLD) adds to its configuration`: the moments of completed rows only; from
 * migration 6 on (`pruned`), also the count of pruned rows.
 */
function statsChanges(row: 'NEW' | 'OLD', sign: '+' | '-', metrics: readonly string[], pruned = false): string {
  const done = `(${row}.status = 'completed')`;
  const when = (value: string) => `CASE WHEN ${done} THEN ${value} ELSE 0 END`;
  return [
    `completed = completed ${sign} ${done}`,
    ...(pruned ? [`pruned = pruned ${sign} (${row}.status = 'pruned')`] : []),
    `wall_n = wall_n ${sign} (${done} AND ${wallMs(row)} IS NOT NULL)`,
    `wall_ms = wall_ms ${sign} ${when(`coalesce(${wallMs(row)}, 0)`)}`,
    ...metrics.flatMap((name) => [
      `"${name}_n" = "${name}_n" ${sign} (${done} AND ${row}."${name}" IS NOT NULL)`,
      `"${name}_sum" = "${name}_sum" ${sign} ${when(`coalesce(${row}."${name}", 0)`)}`,
      `"${name}_sq" = "${name}_sq" ${sign} ${when(`coalesce(${row}."${name}" * ${row}."${name}", 0)`)}`,
    ]),
  ].join(',\n      ');
}

function configStatsMigration(metrics: readonly string[]): string {
  const metricColumns = metrics.map((name) => `"${name}_n" INTEGER NOT NULL DEFAULT 0, "${name}_sum" REAL NOT NULL DEFAULT 0, "${name}_sq" REAL NOT NULL DEFAULT 0`);
  const backfill = metrics.map(
    (name) =>
      `count(CASE WHEN t.status = 'completed' THEN t."${name}" END), coalesce(sum(CASE WHEN t.status = 'completed' THEN t."${name}" END), 0), ` +
      `coalesce(sum(CASE WHEN t.status = 'completed' THEN t."${name}" * t."${name}" END), 0)`,
  );
  return `
  CREATE TABLE config_stats (
    sweep_id   INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    config_key TEXT NOT NULL,
    trial_id   INTEGER NOT NULL,            -- one trial of the configuration: its setting columns are the configuration's
    trials     INTEGER NOT NULL DEFAULT 0,  -- trials of the configuration, any status
    completed  INTEGER NOT NULL DEFAULT 0,
    wall_n     INTEGER NOT NULL DEFAULT 0,  -- completed trials with a wall time, and its sum in ms
    wall_ms    REAL NOT NULL DEFAULT 0,
    ${metricColumns.join(',\n    ')},
    PRIMARY KEY (sweep_id, config_key)
  ) WITHOUT ROWID;
  INSERT INTO config_stats
  SELECT t.sweep_id, t.config_key, min(t.id), count(*), sum(t.status = 'completed'),
    sum(t.status = 'completed' AND ${wallMs('t')} IS NOT NULL), coalesce(sum(CASE WHEN t.status = 'completed' THEN ${wallMs('t')} END), 0),
    ${backfill.join(',\n    ')}
  FROM trials t GROUP BY t.sweep_id, t.config_key;
  ${configStatsTriggers(metrics)}
  CREATE INDEX trials_sweep_finished ON trials(sweep_id, finished_at);
  `;
}

/** The triggers that keep config_stats current, over these metrics (and, from migration 6, the pruned count). */
function configStatsTriggers(metrics: readonly string[], pruned = false): string {
  const counted = pruned ? `('completed', 'pruned')` : `('completed')`;
  return `
  CREATE TRIGGER config_stats_insert AFTER INSERT ON trials BEGIN
    INSERT INTO config_stats (sweep_id, config_key, trial_id) VALUES (NEW.sweep_id, NEW.config_key, NEW.id)
      ON CONFLICT (sweep_id, config_key) DO NOTHING;
    UPDATE config_stats SET trials = trials + 1,
      ${statsChanges('NEW', '+', metrics, pruned)}
    WHERE sweep_id = NEW.sweep_id AND config_key = NEW.config_key;
  END;
  CREATE TRIGGER config_stats_update AFTER UPDATE ON trials
  WHEN OLD.status IN ${counted} OR NEW.status IN ${counted} BEGIN
    UPDATE config_stats SET
      ${statsChanges('OLD', '-', metrics, pruned)}
    WHERE sweep_id = OLD.sweep_id AND config_key = OLD.config_key;
    UPDATE config_stats SET
      ${statsChanges('NEW', '+', metrics, pruned)}
    WHERE sweep_id = NEW.sweep_id AND config_key = NEW.config_key;
  END;
  CREATE TRIGGER config_stats_delete AFTER DELETE ON trials BEGIN
    UPDATE config_stats SET trials = trials - 1,
      ${statsChanges('OLD', '-', metrics, pruned)}
    WHERE sweep_id = OLD.sweep_id AND config_key = OLD.config_key;
  END;
  `;
}

/** The statuses a trial may have: migration 6 added `pruned`. */
const FIRST_STATUSES = ['queued', 'running', 'completed', 'failed', 'interrupted'] as const;
const STATUSES = [...FIRST_STATUSES, 'pruned'] as const;
/** Columns that later migrations added to trials (4: kernels, 5: the truth metrics), in the order they came. */
const LATER_TRIAL_COLUMNS = ['kernels TEXT', ...TRUTH_METRICS.map((name) => `"${name}" REAL`)];

/** The trials table: migration 1's, or (a rebuild) with more statuses and the columns added since, in their order. */
function trialsTable(name: string, statuses: readonly string[], later: readonly string[]): string {
  return `
  CREATE TABLE ${name} (
    id           INTEGER PRIMARY KEY,
    sweep_id     INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,              -- hash of the resolved settings and seed
    config_key   TEXT NOT NULL,              -- the same without the seed: groups a configuration's seeds
    seed         INTEGER NOT NULL,
    settings     TEXT NOT NULL,              -- JSON: every setting, resolved
    params       TEXT NOT NULL DEFAULT '{}', -- JSON: the swept settings only
    status       TEXT NOT NULL DEFAULT 'queued'
                 CHECK (status IN (${statuses.map((status) => `'${status}'`).join(', ')})),
    run_id       INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    worker       INTEGER,
    backend      TEXT,                       -- the backend that actually ran (never 'auto')
    device       TEXT,
    step         INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    queued_at    TEXT NOT NULL DEFAULT (${NOW}),
    started_at   TEXT,
    finished_at  TEXT,
    heartbeat_at TEXT,
    train_ms     REAL,
    error        TEXT,
    -- Final metrics, NULL until the trial completes.
    ${FIRST_METRICS.map((metric) => `"${metric}" REAL`).join(',\n    ')},
    -- Every setting as a column of its own, computed from the JSON once, when the trial is written.
    ${SETTINGS_BUT_SEED.map((setting) => `"${setting}" GENERATED ALWAYS AS (json_extract(settings, '$.${setting}')) STORED`).join(',\n    ')},
    ${later.map((column) => `${column},`).join('\n    ')}
    UNIQUE (sweep_id, key)
  );`;
}

/** The stored (not generated) columns of the trials table since migration 5: what a rebuild copies. */
const STORED_TRIAL_COLUMNS = [
  'id', 'sweep_id', 'key', 'config_key', 'seed', 'settings', 'params', 'status', 'run_id', 'worker', 'backend', 'device', 'step',
  'attempts', 'queued_at', 'started_at', 'finished_at', 'heartbeat_at', 'train_ms', 'error', ...FIRST_METRICS, 'kernels', ...TRUTH_METRICS,
].map((name) => `"${name}"`);

/**
 * 6: status `pruned` (a trial stopped early: final, with its curve and last metrics) and a pruned count per
 * configuration in config_stats. SQLite cannot widen a CHECK constraint: the trials table is rebuilt (every row,
 * id and column kept; `migrate` turns foreign keys off around it, so metric points stay), then its indexes and
 * the config_stats triggers are made again. The views are dropped first and rebuilt by `migrate`.
 */
function prunedMigration(): string {
  return `
  DROP VIEW IF EXISTS config_summary;
  DROP VIEW IF EXISTS trial_summary;
  ${trialsTable('trials_rebuilt', STATUSES, LATER_TRIAL_COLUMNS)}
  INSERT INTO trials_rebuilt (${STORED_TRIAL_COLUMNS.join(', ')}) SELECT ${STORED_TRIAL_COLUMNS.join(', ')} FROM trials;
  DROP TABLE trials;
  ALTER TABLE trials_rebuilt RENAME TO trials;
  CREATE INDEX trials_sweep_status ON trials(sweep_id, status);
  CREATE INDEX trials_sweep_key_status ON trials(sweep_id, key, status);
  CREATE INDEX trials_sweep_config ON trials(sweep_id, config_key);
  CREATE INDEX trials_sweep_finished ON trials(sweep_id, finished_at);
  ALTER TABLE config_stats ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
  ${configStatsTriggers([...FIRST_METRICS, ...TRUTH_METRICS], true)}
  `;
}

/** 3: median rank, TPR and FDR columns on trials (NULL for trials that ran before) and in config_stats. */
function truthMetricsMigration(): string {
  const columns = TRUTH_METRICS.flatMap((name) => [
    `ALTER TABLE trials ADD COLUMN "${name}" REAL;`,
    `ALTER TABLE config_stats ADD COLUMN "${name}_n" INTEGER NOT NULL DEFAULT 0;`,
    `ALTER TABLE config_stats ADD COLUMN "${name}_sum" REAL NOT NULL DEFAULT 0;`,
    `ALTER TABLE config_stats ADD COLUMN "${name}_sq" REAL NOT NULL DEFAULT 0;`,
  ]);
  const triggers = ['insert', 'update', 'delete'].map((event) => `DROP TRIGGER config_stats_${event};`);
  return [...columns, ...triggers, configStatsTriggers([...FIRST_METRICS, ...TRUTH_METRICS])].join('\n');
}

export const MIGRATIONS: readonly string[] = [
  // 1: sweeps, runs (a sweeper invocation and its environment), trials with their settings and final metrics
  // as columns, metric curves. A setting added later is a migration: ALTER TABLE trials ADD COLUMN … GENERATED
  // ALWAYS AS (json_extract(settings, '$.name')) VIRTUAL.
  `
  CREATE TABLE sweeps (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    config_text  TEXT NOT NULL,              -- the sweep file as it was read
    config_hash  TEXT NOT NULL,              -- sha256 of config_text
    config_path  TEXT,
    metric_name  TEXT NOT NULL,
    metric_goal  TEXT NOT NULL CHECK (metric_goal IN ('maximize', 'minimize')),
    swept        TEXT NOT NULL DEFAULT '[]', -- JSON array of the swept setting names
    status       TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    created_at   TEXT NOT NULL DEFAULT (${NOW}),
    updated_at   TEXT NOT NULL DEFAULT (${NOW})
  );
  CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    sweep_id      INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    started_at    TEXT NOT NULL DEFAULT (${NOW}),
    finished_at   TEXT,
    status        TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    git_commit    TEXT,
    git_dirty     INTEGER,                   -- 1 when the work tree had uncommitted changes
    node_version  TEXT NOT NULL,
    tfjs_version  TEXT,
    backend       TEXT NOT NULL,             -- as requested (auto, wasm, …); each trial records what ran
    workers       INTEGER NOT NULL,
    argv          TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX runs_sweep ON runs(sweep_id);
  ${trialsTable('trials', FIRST_STATUSES, [])}
  CREATE INDEX trials_sweep_status ON trials(sweep_id, status);
  CREATE INDEX trials_sweep_key_status ON trials(sweep_id, key, status);
  CREATE INDEX trials_sweep_config ON trials(sweep_id, config_key);
  CREATE TABLE metric_points (
    trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    step     INTEGER NOT NULL,
    value    REAL,
    PRIMARY KEY (trial_id, name, step)
  ) WITHOUT ROWID;
  `,
  // 2: per-configuration moments (count, sum, sum of squares of each final metric over completed trials), kept by
  // triggers, so that the dashboard and reports read one row per configuration instead of every trial; and an
  // index to find what finished since a given time.
  configStatsMigration(FIRST_METRICS),
  // 3: the GPUs a run's workers were bound to: adapter or CUDA device, driver (JSON array; NULL for CPU workers)
  `ALTER TABLE runs ADD COLUMN devices TEXT;`,
  // 4: the matrix-product kernels that ran (`wasm+native avx2`, `wasm`, or the backend's own), per trial and per
  // run (for a run: what the native kernel gives on its host), so results from different machines can be told apart.
  `
  ALTER TABLE trials ADD COLUMN kernels TEXT;
  ALTER TABLE runs ADD COLUMN kernels TEXT;
  `,
  // 5: median rank, TPR and FDR of the explanation against the known truth.
  truthMetricsMigration(),
  // 6: status pruned (early termination) and config_stats.pruned.
  prunedMigration(),
];

/** Every metric has a column: a metric added to METRIC_NAMES needs a migration above. */
const COLUMNS: readonly string[] = [...FIRST_METRICS, ...TRUTH_METRICS];
const missing = METRIC_NAMES.filter((name) => !COLUMNS.includes(name));
if (missing.length > 0) throw new Error(`bug: metrics without a column migration: ${missing.join(', ')}`);

export const SCHEMA_VERSION = MIGRATIONS.length;


/**
 * The views are the documented interface for plain-SQL queries and scripts; they are derived from the settings
 * and metric lists, and rebuilt by the writer whenever their text changes (views hold no data).
 */
export function viewStatements(): string[] {
  // Over completed trials only: a pruned trial's metrics are those of the step where it stopped.
  const aggregates = METRIC_NAMES.map((name) => {
    const v = `(CASE WHEN s.status = 'completed' THEN s."${name}" END)`;
    return (
      `avg(${v}) AS "${name}_mean",\n    ` +
      `CASE WHEN count(${v}) > 1 THEN sqrt(max(0, (sum(${v} * ${v}) - count(${v}) * avg(${v}) * avg(${v})) / (count(${v}) - 1))) END AS "${name}_std"`
    );
  }).join(',\n    ');
  return [
    `DROP VIEW IF EXISTS config_summary`,
    `DROP VIEW IF EXISTS trial_summary`,
    `CREATE VIEW trial_summary AS
  SELECT
    w.name AS sweep,
    t.key, t.config_key, t.status, t.seed, t.backend, t.kernels, t.device, t.worker, t.step, t.attempts,
    t.started_at, t.finished_at, t.train_ms, t.error,
    ${SETTINGS_BUT_SEED.map((name) => `t."${name}"`).join(', ')},
    ${METRIC_NAMES.map((name) => `t."${name}"`).join(', ')}
  FROM trials t JOIN sweeps w ON w.id = t.sweep_id`,
    `CREATE VIEW config_summary AS
  SELECT
    s.sweep, s.config_key,
    ${SETTINGS_BUT_SEED.map((name) => `min(s."${name}") AS "${name}"`).join(', ')},
    sum(s.status = 'completed') AS n,
    sum(s.status = 'pruned') AS pruned,
    ${aggregates}
  FROM trial_summary s
  WHERE s.status IN ('completed', 'pruned')
  GROUP BY s.sweep, s.config_key`,
  ];
}
