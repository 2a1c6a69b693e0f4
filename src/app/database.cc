#include "app/database.h"

#include <cstdlib>

#include "app/commands.h"
#include "storage/database_url.h"

namespace kalshiflow::app {

std::string ResolveDatabaseUrl(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("DATABASE_URL"); env != nullptr && *env != '\0') return env;
  return std::string(storage::kDefaultDatabaseUrl);
}

std::string RedactedDatabaseUrl(const std::string& url) {
  auto parsed = storage::ParseDatabaseUrl(url);
  return parsed.ok() ? parsed->Redacted() : std::string("(invalid DATABASE_URL)");
}

std::unique_ptr<storage::Store> OpenStoreOrFail(const std::string& url, bool create_if_missing) {
  storage::OpenOptions options;
  options.migrate = false;  // commands migrate (or not) explicitly
  options.create_if_missing = create_if_missing;
  auto store = storage::OpenStore(url, options);
  if (!store.ok()) throw CommandFailed(1, store.error().ToString());
  return std::move(store).value();
}

}  // namespace kalshiflow::app
