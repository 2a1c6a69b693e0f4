#include "storage/migrations.h"

#include <fmt/core.h>
#include <sqlite3.h>

#include <array>

#include "storage/sqlite_util.h"

namespace kalshiflow::storage {
namespace {

// Conventions for every table: integer money/size units with the unit in the column name
// (`*_units` = core::Price or core::Count units as named, `*_micros` = core::Money units of
// 1e-6 $), times as integers with their unit (`*_ns` local ns since epoch, `*_ms` exchange ms
// since epoch), enumerations as lower-case text guarded by CHECK constraints.

constexpr std::string_view kV1RecordingSql = R"sql(
CREATE TABLE rl_orderbook_sessions (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  market_tickers   TEXT    NOT NULL,              -- JSON array of ticker strings
  started_at_ns    INTEGER NOT NULL,
  ended_at_ns      INTEGER,
  status           TEXT    NOT NULL CHECK (status IN ('active', 'closed', 'error')),
  websocket_url    TEXT    NOT NULL,
  environment      TEXT    NOT NULL
                   CHECK (environment IN ('demo', 'production', 'local', 'replay')),
  snapshots_count  INTEGER NOT NULL DEFAULT 0,
  deltas_count     INTEGER NOT NULL DEFAULT 0,
  frames_count     INTEGER NOT NULL DEFAULT 0,
  error            TEXT
);
CREATE INDEX idx_rl_orderbook_sessions_status ON rl_orderbook_sessions (status);

CREATE TABLE rl_orderbook_snapshots (
  id              INTEGER PRIMARY KEY,
  session_id      INTEGER NOT NULL REFERENCES rl_orderbook_sessions (id),
  market_ticker   TEXT    NOT NULL,
  sid             INTEGER NOT NULL,
  seq             INTEGER NOT NULL,
  exchange_ts_ms  INTEGER,
  local_ts_ns     INTEGER NOT NULL,
  yes_levels      TEXT    NOT NULL,                -- JSON [[price_units, count_units], ...]
  no_levels       TEXT    NOT NULL,                -- same, NO-leg prices
  synthetic       INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1))
);
CREATE INDEX idx_rl_orderbook_snapshots_replay
  ON rl_orderbook_snapshots (session_id, local_ts_ns, seq, sid);

CREATE TABLE rl_orderbook_deltas (
  id              INTEGER PRIMARY KEY,
  session_id      INTEGER NOT NULL REFERENCES rl_orderbook_sessions (id),
  market_ticker   TEXT    NOT NULL,
  sid             INTEGER NOT NULL,
  seq             INTEGER NOT NULL,
  exchange_ts_ms  INTEGER,
  local_ts_ns     INTEGER NOT NULL,
  side            TEXT    NOT NULL CHECK (side IN ('yes', 'no')),
  price_units     INTEGER NOT NULL,                -- core::Price units (1/10,000 $)
  delta_units     INTEGER NOT NULL                 -- core::Count units (1/100 contract), signed
);
CREATE INDEX idx_rl_orderbook_deltas_replay
  ON rl_orderbook_deltas (session_id, local_ts_ns, seq, sid);

CREATE TABLE rl_raw_frames (
  id              INTEGER PRIMARY KEY,
  session_id      INTEGER NOT NULL REFERENCES rl_orderbook_sessions (id),
  sid             INTEGER,
  seq             INTEGER,
  local_ts_ns     INTEGER NOT NULL,
  frame_bytes     INTEGER NOT NULL,                -- uncompressed size
  frame_zstd      BLOB    NOT NULL                 -- one zstd frame (content size included)
);
CREATE INDEX idx_rl_raw_frames_replay ON rl_raw_frames (session_id, local_ts_ns);
)sql";

constexpr std::string_view kV2TradingSql = R"sql(
CREATE TABLE rl_models (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  name             TEXT    NOT NULL,
  version          INTEGER NOT NULL,
  algorithm        TEXT    NOT NULL,               -- 'ppo', 'a2c', 'hardcoded', ...
  observation_spec TEXT    NOT NULL,               -- e.g. 'kalshiflow-v1'
  action_space     TEXT    NOT NULL,               -- e.g. 'discrete-21'
  parent_model_id  INTEGER REFERENCES rl_models (id),
  checkpoint_path  TEXT,
  hyperparameters  TEXT    NOT NULL DEFAULT '{}',  -- JSON object
  training_config  TEXT    NOT NULL DEFAULT '{}',  -- JSON object (sessions, markets, seed, ...)
  timesteps        INTEGER NOT NULL DEFAULT 0,
  status           TEXT    NOT NULL
                   CHECK (status IN ('training', 'ready', 'deployed', 'archived')),
  performance      TEXT    NOT NULL DEFAULT '{}',  -- JSON summary (returns, win rate, ...)
  notes            TEXT,
  created_at_ns    INTEGER NOT NULL,
  updated_at_ns    INTEGER NOT NULL,
  UNIQUE (name, version)
);
CREATE INDEX idx_rl_models_status ON rl_models (status);

CREATE TABLE rl_trading_episodes (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id             INTEGER REFERENCES rl_models (id),
  session_id           INTEGER REFERENCES rl_orderbook_sessions (id),  -- data source
  market_ticker        TEXT    NOT NULL,
  mode                 TEXT    NOT NULL
                       CHECK (mode IN ('training', 'evaluation', 'paper', 'demo', 'production')),
  status               TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'error')),
  started_at_ns        INTEGER NOT NULL,
  ended_at_ns          INTEGER,
  steps                INTEGER NOT NULL DEFAULT 0,
  total_reward         REAL,                       -- RL reward (dimensionless, not money)
  realized_pnl_micros  INTEGER,                    -- core::Money units (1e-6 $)
  fees_micros          INTEGER,
  final_cash_micros    INTEGER,
  final_position_units INTEGER,                    -- core::Count units, +YES / -NO
  error                TEXT
);
CREATE INDEX idx_rl_trading_episodes_model ON rl_trading_episodes (model_id, started_at_ns);

CREATE TABLE rl_trading_actions (
  id                     INTEGER PRIMARY KEY,
  episode_id             INTEGER NOT NULL REFERENCES rl_trading_episodes (id),
  step                   INTEGER NOT NULL,
  local_ts_ns            INTEGER NOT NULL,
  market_ticker          TEXT    NOT NULL,
  action                 INTEGER NOT NULL,         -- index in the action space
  action_name            TEXT,                     -- e.g. 'buy_yes_10'
  outcome_side           TEXT    CHECK (outcome_side IN ('yes', 'no')),
  price_units            INTEGER,                  -- core::Price units
  count_units            INTEGER,                  -- core::Count units
  position_units         INTEGER NOT NULL,         -- after the step, +YES / -NO
  cash_micros            INTEGER NOT NULL,
  portfolio_value_micros INTEGER NOT NULL,
  reward                 REAL,
  observation_hash       TEXT,
  UNIQUE (episode_id, step)
);

CREATE TABLE rl_actor_events (
  id                     INTEGER PRIMARY KEY,
  session_id             INTEGER REFERENCES rl_orderbook_sessions (id),
  model_id               INTEGER REFERENCES rl_models (id),
  market_ticker          TEXT    NOT NULL,
  sid                    INTEGER,                  -- (sid, sequence_id) of the order-book
  sequence_id            INTEGER,                  -- update that triggered the pipeline
  local_ts_ns            INTEGER NOT NULL,
  event_type             TEXT    NOT NULL,         -- 'action', 'order', 'fill', 'risk_reject', ...
  action                 INTEGER,
  action_name            TEXT,
  observation_hash       TEXT,
  position_units         INTEGER,
  cash_micros            INTEGER,
  portfolio_value_micros INTEGER,
  latency_ns             INTEGER,                  -- trigger -> order handed over
  error                  TEXT,
  details                TEXT                      -- JSON object
);
CREATE INDEX idx_rl_actor_events_session ON rl_actor_events (session_id, local_ts_ns);

CREATE TABLE rl_orders (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id        INTEGER REFERENCES rl_orderbook_sessions (id),
  client_order_id   TEXT    NOT NULL UNIQUE,
  exchange_order_id TEXT,
  market_ticker     TEXT    NOT NULL,
  mode              TEXT    NOT NULL CHECK (mode IN ('paper', 'demo', 'production')),
  book_side         TEXT    NOT NULL CHECK (book_side IN ('bid', 'ask')),  -- V2, YES leg
  price_units       INTEGER NOT NULL,              -- YES-leg core::Price units
  count_units       INTEGER NOT NULL,              -- core::Count units
  filled_units      INTEGER NOT NULL DEFAULT 0,
  remaining_units   INTEGER NOT NULL,
  status            TEXT    NOT NULL
                    CHECK (status IN ('pending', 'resting', 'canceled', 'executed', 'rejected')),
  created_at_ns     INTEGER NOT NULL,
  updated_at_ns     INTEGER NOT NULL,
  error             TEXT
);
CREATE INDEX idx_rl_orders_market ON rl_orders (market_ticker, created_at_ns);

CREATE TABLE rl_fills (
  id                  INTEGER PRIMARY KEY,
  order_id            INTEGER REFERENCES rl_orders (id),
  client_order_id     TEXT,
  exchange_order_id   TEXT,
  trade_id            TEXT,                        -- Kalshi fill `trade_id` (NULL for paper)
  market_ticker       TEXT    NOT NULL,
  mode                TEXT    NOT NULL CHECK (mode IN ('paper', 'demo', 'production')),
  outcome_side        TEXT    NOT NULL CHECK (outcome_side IN ('yes', 'no')),
  book_side           TEXT    NOT NULL CHECK (book_side IN ('bid', 'ask')),
  yes_price_units     INTEGER NOT NULL,            -- core::Price units
  count_units         INTEGER NOT NULL,            -- core::Count units
  fee_micros          INTEGER NOT NULL DEFAULT 0,  -- core::Money units (Kalshi `fee_cost`)
  is_taker            INTEGER NOT NULL CHECK (is_taker IN (0, 1)),
  post_position_units INTEGER,                     -- +YES / -NO after the fill
  exchange_ts_ms      INTEGER,
  local_ts_ns         INTEGER NOT NULL,
  UNIQUE (mode, trade_id)
);
CREATE INDEX idx_rl_fills_order ON rl_fills (order_id);
CREATE INDEX idx_rl_fills_market ON rl_fills (market_ticker, local_ts_ns);
)sql";

constexpr std::array<Migration, 2> kSqliteMigrations = {{
    {1, "order-book recording tables (sessions, snapshots, deltas, raw frames)", kV1RecordingSql},
    {2,
     "model registry and trading tables (models, episodes, actions, actor events, orders, "
     "fills)",
     kV2TradingSql},
}};

constexpr std::array<std::string_view, 11> kSchemaTables = {
    "schema_migrations",
    "rl_orderbook_sessions",
    "rl_orderbook_snapshots",
    "rl_orderbook_deltas",
    "rl_raw_frames",
    "rl_models",
    "rl_trading_episodes",
    "rl_trading_actions",
    "rl_actor_events",
    "rl_orders",
    "rl_fills",
};

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " description TEXT NOT NULL,"
    " applied_at_ns INTEGER NOT NULL)";

// Rolls back an open transaction unless committed.
class TransactionGuard {
 public:
  explicit TransactionGuard(sqlite3* db) : db_(db) {}
  ~TransactionGuard() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  core::Status Commit() {
    KF_RETURN_IF_ERROR(internal::Exec(db_, "COMMIT", "commit migration"));
    done_ = true;
    return core::Status::Ok();
  }
  TransactionGuard(const TransactionGuard&) = delete;
  TransactionGuard& operator=(const TransactionGuard&) = delete;

 private:
  sqlite3* db_;
  bool done_ = false;
};

}  // namespace

std::span<const Migration> SqliteMigrations() { return kSqliteMigrations; }

int LatestSchemaVersion() { return kSqliteMigrations.back().version; }

std::span<const std::string_view> SchemaTables() { return kSchemaTables; }

core::Result<int> ReadSqliteSchemaVersion(sqlite3* db) {
  KF_ASSIGN_OR_RETURN(
      auto exists,
      internal::Statement::Prepare(
          db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"));
  KF_ASSIGN_OR_RETURN(bool has_table, exists.Step());
  if (!has_table) return 0;
  KF_ASSIGN_OR_RETURN(
      auto query,
      internal::Statement::Prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  KF_ASSIGN_OR_RETURN(bool has_row, query.Step());
  if (!has_row) return 0;
  return static_cast<int>(query.ColumnInt64(0));
}

core::Result<std::vector<int>> ApplySqliteMigrations(sqlite3* db, core::Timestamp now,
                                                     int up_to_version) {
  KF_RETURN_IF_ERROR(internal::Exec(db, kCreateMigrationsTable, "create schema_migrations"));
  std::vector<int> applied;
  for (const Migration& migration : kSqliteMigrations) {
    if (migration.version > up_to_version) break;
    // BEGIN IMMEDIATE takes the write lock now, so the version check below cannot race with
    // another process applying the same migration.
    KF_RETURN_IF_ERROR(internal::Exec(db, "BEGIN IMMEDIATE", "begin migration"));
    TransactionGuard guard(db);
    KF_ASSIGN_OR_RETURN(int current, ReadSqliteSchemaVersion(db));
    if (current > LatestSchemaVersion()) {
      return core::FailedPreconditionError(fmt::format(
          "database schema version {} is newer than this binary supports ({}); upgrade kalshiflow",
          current, LatestSchemaVersion()));
    }
    if (current >= migration.version) continue;  // guard rolls back the empty transaction
    if (current != migration.version - 1) {
      return core::InternalError(
          fmt::format("schema version {} cannot be migrated to {}", current, migration.version));
    }
    std::string sql(migration.sql);
    KF_RETURN_IF_ERROR(
        internal::Exec(db, sql.c_str(), fmt::format("apply migration {}", migration.version)));
    KF_ASSIGN_OR_RETURN(auto record,
                        internal::Statement::Prepare(
                            db,
                            "INSERT INTO schema_migrations (version, description, applied_at_ns)"
                            " VALUES (?1, ?2, ?3)"));
    KF_RETURN_IF_ERROR(record.BindInt64(1, migration.version));
    KF_RETURN_IF_ERROR(record.BindText(2, migration.description));
    KF_RETURN_IF_ERROR(record.BindInt64(3, now.nanos()));
    KF_RETURN_IF_ERROR(record.Run());
    record = internal::Statement();  // finalize before COMMIT
    KF_RETURN_IF_ERROR(guard.Commit());
    applied.push_back(migration.version);
  }
  return applied;
}

}  // namespace kalshiflow::storage
