// Database helpers shared by the CLI commands that open the store (db, sessions, ...).
#pragma once

#include <memory>
#include <string>

#include "storage/store.h"

namespace kalshiflow::app {

/// The database URL: `flag` when non-empty, else $DATABASE_URL, else
/// storage::kDefaultDatabaseUrl ("sqlite://./data/kalshiflow.db").
std::string ResolveDatabaseUrl(const std::string& flag);

/// `url` with any password masked, for messages (never echoes an unparsable URL).
std::string RedactedDatabaseUrl(const std::string& url);

/// Opens the store at `url` (no migration). Throws CommandFailed(1, reason) on failure; with
/// create_if_missing false a missing database is an error (NotFound).
std::unique_ptr<storage::Store> OpenStoreOrFail(const std::string& url, bool create_if_missing);

}  // namespace kalshiflow::app
