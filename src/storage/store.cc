#include "storage/store.h"

#include <utility>

namespace kalshiflow::storage {

core::Result<std::vector<ReplayUpdate>> LoadSessionUpdates(Store& store, SessionId id,
                                                           const ReplayQuery& query) {
  std::vector<ReplayUpdate> updates;
  KF_RETURN_IF_ERROR(store.ReadSessionUpdates(id, query, [&](ReplayUpdate update) {
    updates.push_back(std::move(update));
    return core::Status::Ok();
  }));
  return updates;
}

}  // namespace kalshiflow::storage
