// Shutdown helpers shared by the Beast servers (the local exchange, the API server): a registry
// of every open socket's abort function, so stopping a server closes them all, and the close of
// the TCP socket under any Beast stream layering.
//
// Include only from a translation unit that already uses Beast (it pulls in Asio's TCP socket).
// Threading: a registry belongs to its server's one I/O thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>

namespace kalshiflow::net {

class SocketRegistry {
 public:
  /// Keeps `abort` registered while alive; Release() unregisters it early (a socket handed
  /// over to another owner that registers itself).
  class Entry {
   public:
    Entry(SocketRegistry& registry, std::function<void()> abort)
        : registry_(&registry), id_(registry.next_id_++) {
      registry.aborts_.emplace(id_, std::move(abort));
    }
    ~Entry() { Release(); }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    void Release() {
      if (registry_ != nullptr) registry_->aborts_.erase(id_);
      registry_ = nullptr;
    }

   private:
    SocketRegistry* registry_;
    uint64_t id_;
  };

  /// Calls every registered abort function (over a copy: an abort may release its entry).
  void AbortAll() {
    const auto aborts = aborts_;
    for (const auto& [id, abort] : aborts) abort();
  }

 private:
  std::map<uint64_t, std::function<void()>> aborts_;
  uint64_t next_id_ = 1;
};

/// Shuts down and closes the TCP socket under `stream` (plain, TLS or WebSocket layering);
/// errors (an already closed socket) are ignored.
template <class Stream>
void CloseLowestLayer(Stream& stream) {
  boost::system::error_code ec;
  auto& socket = boost::beast::get_lowest_layer(stream).socket();
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace kalshiflow::net
