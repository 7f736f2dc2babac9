/**
 * The results database's schema: tables, migrations and the SQL views people query, written once for SQLite and
 * PostgreSQL (their differences are fragments of `dialect.ts`).
 *
 * Versioned by the number of migrations applied (`PRAGMA user_version` on SQLite, the `l2x_schema` table on
 * PostgreSQL). Writers (sweepers, agents) migrate in one transaction that holds the database's write lock, so
 * several starting at once on a new database migrate it once; readers refuse a database from another schema.
 * Times are ISO-8601 UTC text so that `sqlite3` and `psql` show them readably and both sort them the same.
 */
import { METRIC_NAMES, SETTING_NAMES } from '@l2x/model/config';
import { SQLITE, type Dialect } from './dialect.ts';

/** Setting columns: every setting under its own name (`tau`, `k`, `anneal`, …); the seed is a column already. */
const SETTINGS_BUT_SEED = SETTING_NAMES.filter((name) => name !== 'seed');

/** The metric columns the first schema had; later metrics come with their own migration. */
const FIRST_METRICS = ['loss', 'mean_acc', 'soft_acc', 'hard_acc', 'gap', 'precision', 'mask_sum', 'mask_distinct'] as const;
/** The explanation metrics against the known truth (migration 5). */
const TRUTH_METRICS = ['median_rank', 'tpr', 'fdr'] as const;

/** A completed trial's wall time in ms (start to finish), else its training time. */
const wallMs = (d: Dialect, row: string) => {
  const ms = `(${d.epochMs(`${row}.finished_at`)} - ${d.epochMs(`${row}.started_at`)})`;
  return `coalesce(CASE WHEN ${ms} >= 0 THEN ${ms} END, ${row}.train_ms)`;
};

/**
 * `column = column ± what row (NEW or OLD) adds to its configuration`: the moments of completed rows only; from
 * migration 6 on (`pruned`), also the count of pruned rows.
 */
function statsChanges(d: Dialect, row: 'NEW' | 'OLD', sign: '+' | '-', metrics: readonly string[], pruned = false): string {
  const done = d.int(`${row}.status = 'completed'`);
  const when = (value: string) => `CASE WHEN ${row}.status = 'completed' THEN ${value} ELSE 0 END`;
  return [
    `completed = completed ${sign} ${done}`,
    ...(pruned ? [`pruned = pruned ${sign} ${d.int(`${row}.status = 'pruned'`)}`] : []),
    `wall_n = wall_n ${sign} ${d.int(`${row}.status = 'completed' AND ${wallMs(d, row)} IS NOT NULL`)}`,
    `wall_ms = wall_ms ${sign} ${when(`coalesce(${wallMs(d, row)}, 0)`)}`,
    ...metrics.flatMap((name) => [
      `"${name}_n" = "${name}_n" ${sign} ${d.int(`${row}.status = 'completed' AND ${row}."${name}" IS NOT NULL`)}`,
      `"${name}_sum" = "${name}_sum" ${sign} ${when(`coalesce(${row}."${name}", 0)`)}`,
      `"${name}_sq" = "${name}_sq" ${sign} ${when(`coalesce(${row}."${name}" * ${row}."${name}", 0)`)}`,
    ]),
  ].join(',\n      ');
}

function configStatsMigration(d: Dialect, metrics: readonly string[]): string {
  const metricColumns = metrics.map((name) => `"${name}_n" INTEGER NOT NULL DEFAULT 0, "${name}_sum" ${d.real} NOT NULL DEFAULT 0, "${name}_sq" ${d.real} NOT NULL DEFAULT 0`);
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
    wall_ms    ${d.real} NOT NULL DEFAULT 0,
    ${metricColumns.join(',\n    ')},
    PRIMARY KEY (sweep_id, config_key)
  )${d.withoutRowid};
  INSERT INTO config_stats
  SELECT t.sweep_id, t.config_key, min(t.id), count(*), sum(${d.int(`t.status = 'completed'`)}),
    sum(${d.int(`t.status = 'completed' AND ${wallMs(d, 't')} IS NOT NULL`)}), coalesce(sum(CASE WHEN t.status = 'completed' THEN ${wallMs(d, 't')} END), 0),
    ${backfill.join(',\n    ')}
  FROM trials t GROUP BY t.sweep_id, t.config_key;
  ${configStatsTriggers(d, metrics, false)}
  CREATE INDEX trials_sweep_finished ON trials(sweep_id, finished_at);
  `;
}

/**
 * The triggers that keep config_stats current, over these metrics (and, from migration 6, the pruned count);
 * `replace`: instead of triggers that exist (over fewer metrics).
 */
function configStatsTriggers(d: Dialect, metrics: readonly string[], replace: boolean, pruned = false): string {
  return d.name === 'postgres' ? configStatsTriggersPg(d, metrics, replace, pruned) : configStatsTriggersSqlite(d, metrics, replace, pruned);
}

/** The statuses whose changes move config_stats: completed (moments) and, from migration 6, pruned (a count). */
const counted = (pruned: boolean) => (pruned ? `('completed', 'pruned')` : `('completed')`);

/**
 * What each change of a trial does to config_stats, in SQL that both dialects run as it is: a trial added counts
 * (and makes its configuration's row), one whose counted status changes moves its moments out and in, one deleted
 * stops counting. The triggers below only wrap these.
 */
function configStatsStatements(d: Dialect, metrics: readonly string[], pruned: boolean) {
  return {
    inserted: `INSERT INTO config_stats (sweep_id, config_key, trial_id) VALUES (NEW.sweep_id, NEW.config_key, NEW.id)
      ON CONFLICT (sweep_id, config_key) DO NOTHING;
    UPDATE config_stats SET trials = trials + 1,
      ${statsChanges(d, 'NEW', '+', metrics, pruned)}
    WHERE sweep_id = NEW.sweep_id AND config_key = NEW.config_key;`,
    changes: `OLD.status IN ${counted(pruned)} OR NEW.status IN ${counted(pruned)}`,
    updated: `UPDATE config_stats SET
      ${statsChanges(d, 'OLD', '-', metrics, pruned)}
    WHERE sweep_id = OLD.sweep_id AND config_key = OLD.config_key;
    UPDATE config_stats SET
      ${statsChanges(d, 'NEW', '+', metrics, pruned)}
    WHERE sweep_id = NEW.sweep_id AND config_key = NEW.config_key;`,
    deleted: `UPDATE config_stats SET trials = trials - 1,
      ${statsChanges(d, 'OLD', '-', metrics, pruned)}
    WHERE sweep_id = OLD.sweep_id AND config_key = OLD.config_key;`,
  };
}

function configStatsTriggersSqlite(d: Dialect, metrics: readonly string[], replace: boolean, pruned: boolean): string {
  const drop = replace ? ['insert', 'update', 'delete'].map((event) => `DROP TRIGGER config_stats_${event};`).join('\n') : '';
  const sql = configStatsStatements(d, metrics, pruned);
  return `${drop}
  CREATE TRIGGER config_stats_insert AFTER INSERT ON trials BEGIN
    ${sql.inserted}
  END;
  CREATE TRIGGER config_stats_update AFTER UPDATE ON trials WHEN ${sql.changes} BEGIN
    ${sql.updated}
  END;
  CREATE TRIGGER config_stats_delete AFTER DELETE ON trials BEGIN
    ${sql.deleted}
  END;
  `;
}

/** PostgreSQL: the same three changes in one row trigger function (replaced in place when metrics are added). */
function configStatsTriggersPg(d: Dialect, metrics: readonly string[], replace: boolean, pruned: boolean): string {
  const sql = configStatsStatements(d, metrics, pruned);
  return `
  CREATE OR REPLACE FUNCTION config_stats_change() RETURNS trigger LANGUAGE plpgsql AS $body$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      ${sql.inserted}
    ELSIF TG_OP = 'UPDATE' THEN
      IF ${sql.changes} THEN
        ${sql.updated}
      END IF;
    ELSE
      ${sql.deleted}
    END IF;
    RETURN NULL;
  END $body$;
  ${replace ? '' : 'CREATE TRIGGER config_stats_change AFTER INSERT OR UPDATE OR DELETE ON trials FOR EACH ROW EXECUTE FUNCTION config_stats_change();'}
  `;
}

/** The statuses a trial may have: migration 6 added `pruned`. */
const FIRST_STATUSES = ['queued', 'running', 'completed', 'failed', 'interrupted'] as const;
const STATUSES = [...FIRST_STATUSES, 'pruned'] as const;
/** Columns that later migrations added to trials (4: kernels, 5: the truth metrics), in the order they came. */
const laterTrialColumns = (d: Dialect) => ['kernels TEXT', ...TRUTH_METRICS.map((name) => `"${name}" ${d.real}`)];

/** The trials table: migration 1's, or (a rebuild) with more statuses and the columns added since, in their order. */
function trialsTable(d: Dialect, name: string, statuses: readonly string[], later: readonly string[]): string {
  return `
  CREATE TABLE ${name} (
    id           ${d.idColumn},
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
    queued_at    TEXT NOT NULL DEFAULT (${d.now}),
    started_at   TEXT,
    finished_at  TEXT,
    heartbeat_at TEXT,
    train_ms     ${d.real},
    error        TEXT,
    -- Final metrics, NULL until the trial completes.
    ${FIRST_METRICS.map((metric) => `"${metric}" ${d.real}`).join(',\n    ')},
    -- Every setting as a column of its own, computed from the JSON once, when the trial is written.
    ${SETTINGS_BUT_SEED.map((setting) => d.settingColumn(setting)).join(',\n    ')},
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
 * configuration in config_stats. PostgreSQL replaces the status CHECK and the trigger function in place. SQLite
 * cannot widen a CHECK constraint: the trials table is rebuilt (every row, id and column kept; `migrateSqlite` turns
 * foreign keys off around it, so metric points stay), then its indexes and the config_stats triggers are made
 * again. The views are dropped first and rebuilt by the migration's caller.
 */
function prunedMigration(d: Dialect): string {
  const metrics = [...FIRST_METRICS, ...TRUTH_METRICS];
  if (d.name === 'postgres')
    return `
  ALTER TABLE trials DROP CONSTRAINT trials_status_check;
  ALTER TABLE trials ADD CONSTRAINT trials_status_check CHECK (status IN (${STATUSES.map((status) => `'${status}'`).join(', ')}));
  ALTER TABLE config_stats ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
  ${configStatsTriggers(d, metrics, true, true)}
  `;
  return `
  DROP VIEW IF EXISTS config_summary;
  DROP VIEW IF EXISTS trial_summary;
  ${trialsTable(d, 'trials_rebuilt', STATUSES, laterTrialColumns(d))}
  INSERT INTO trials_rebuilt (${STORED_TRIAL_COLUMNS.join(', ')}) SELECT ${STORED_TRIAL_COLUMNS.join(', ')} FROM trials;
  DROP TABLE trials;
  ALTER TABLE trials_rebuilt RENAME TO trials;
  CREATE INDEX trials_sweep_status ON trials(sweep_id, status);
  CREATE INDEX trials_sweep_key_status ON trials(sweep_id, key, status);
  CREATE INDEX trials_sweep_config ON trials(sweep_id, config_key);
  CREATE INDEX trials_sweep_finished ON trials(sweep_id, finished_at);
  ALTER TABLE config_stats ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
  ${configStatsTriggers(d, metrics, false, true)}
  `;
}

/** 3: median rank, TPR and FDR columns on trials (NULL for trials that ran before) and in config_stats. */
function truthMetricsMigration(d: Dialect): string {
  const columns = TRUTH_METRICS.flatMap((name) => [
    `ALTER TABLE trials ADD COLUMN "${name}" ${d.real};`,
    `ALTER TABLE config_stats ADD COLUMN "${name}_n" INTEGER NOT NULL DEFAULT 0;`,
    `ALTER TABLE config_stats ADD COLUMN "${name}_sum" ${d.real} NOT NULL DEFAULT 0;`,
    `ALTER TABLE config_stats ADD COLUMN "${name}_sq" ${d.real} NOT NULL DEFAULT 0;`,
  ]);
  return [...columns, configStatsTriggers(d, [...FIRST_METRICS, ...TRUTH_METRICS], true)].join('\n');
}

/** Every migration, in order, in the dialect's SQL: the schema version is how many have been applied. */
export function migrations(d: Dialect): readonly string[] {
  const NOW = d.now;
  return [
  // 1: sweeps, runs (a sweeper invocation and its environment), trials with their settings and final metrics
  // as columns, metric curves. A setting added later is a migration: ALTER TABLE trials ADD COLUMN … GENERATED
  // ALWAYS AS (json_extract(settings, '$.name')) VIRTUAL.
  `
  CREATE TABLE sweeps (
    id           ${d.idColumn},
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
    id            ${d.idColumn},
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
  ${trialsTable(d, 'trials', FIRST_STATUSES, [])}
  CREATE INDEX trials_sweep_status ON trials(sweep_id, status);
  CREATE INDEX trials_sweep_key_status ON trials(sweep_id, key, status);
  CREATE INDEX trials_sweep_config ON trials(sweep_id, config_key);
  CREATE TABLE metric_points (
    trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    step     INTEGER NOT NULL,
    value    ${d.real},
    PRIMARY KEY (trial_id, name, step)
  )${d.withoutRowid};
  `,
  // 2: per-configuration moments (count, sum, sum of squares of each final metric over completed trials), kept by
  // triggers, so that the dashboard and reports read one row per configuration instead of every trial; and an
  // index to find what finished since a given time.
  configStatsMigration(d, FIRST_METRICS),
  // 3: the GPUs a run's workers were bound to: adapter or CUDA device, driver (JSON array; NULL for CPU workers)
  `ALTER TABLE runs ADD COLUMN devices TEXT;`,
  // 4: the matrix-product kernels that ran (`wasm+native avx2`, `wasm`, or the backend's own), per trial and per
  // run (for a run: what the native kernel gives on its host), so results from different machines can be told apart.
  `
  ALTER TABLE trials ADD COLUMN kernels TEXT;
  ALTER TABLE runs ADD COLUMN kernels TEXT;
  `,
  // 5: median rank, TPR and FDR of the explanation against the known truth.
  truthMetricsMigration(d),
  // 6: status pruned (early termination) and config_stats.pruned.
  prunedMigration(d),
  ];
}

/** SQLite's migrations (tests build old databases from them). */
export const MIGRATIONS: readonly string[] = migrations(SQLITE);

/** Every metric has a column: a metric added to METRIC_NAMES needs a migration above. */
const COLUMNS: readonly string[] = [...FIRST_METRICS, ...TRUTH_METRICS];
const missing = METRIC_NAMES.filter((name) => !COLUMNS.includes(name));
if (missing.length > 0) throw new Error(`bug: metrics without a column migration: ${missing.join(', ')}`);

export const SCHEMA_VERSION = MIGRATIONS.length;


/**
 * The views are the documented interface for plain-SQL queries and scripts; they are derived from the settings
 * and metric lists, and rebuilt by the writer whenever their text changes (views hold no data).
 */
export function viewStatements(d: Dialect = SQLITE): string[] {
  // Over completed trials only: a pruned trial's metrics are those of the step where it stopped.
  const aggregates = METRIC_NAMES.map((name) => {
    const v = `(CASE WHEN s.status = 'completed' THEN s."${name}" END)`;
    return (
      `avg(${v}) AS "${name}_mean",\n    ` +
      `CASE WHEN count(${v}) > 1 THEN sqrt(${d.greatest('0', `(sum(${v} * ${v}) - count(${v}) * avg(${v}) * avg(${v})) / (count(${v}) - 1)`)}) END AS "${name}_std"`
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
    sum(${d.int(`s.status = 'completed'`)}) AS n,
    sum(${d.int(`s.status = 'pruned'`)}) AS pruned,
    ${aggregates}
  FROM trial_summary s
  WHERE s.status IN ('completed', 'pruned')
  GROUP BY s.sweep, s.config_key`,
  ];
}
