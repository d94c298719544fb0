// A minimal HTTP server for Prometheus scrapes: GET /metrics returns the
// text exposition format of the given collectables.
//
// prometheus-cpp's own exposer (prometheus::Exposer) runs on civetweb, which
// Debian 12 builds with a fixed 100 KiB thread stack. A process that loads
// libtorch carries about 105 KiB of static thread-local storage (OpenBLAS
// alone 60 KiB), so every civetweb thread fails to start and the exposer
// throws. This endpoint uses prometheus-cpp's registry and serializer and
// only replaces the transport.
#ifndef SYNESTHESIA_SERVER_METRICS_ENDPOINT_H_
#define SYNESTHESIA_SERVER_METRICS_ENDPOINT_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"

namespace synesthesia::server {

// Serves one request at a time on its own thread, because a scrape is small
// and rare. A slow client is cut off after a timeout.
class MetricsEndpoint {
 public:
  // Listens on ADDRESS ("host:port"; an IPv6 host in brackets; port 0 picks
  // a free port) and serves COLLECTABLES, which must outlive the endpoint.
  // INVALID_ARGUMENT for a malformed address, UNAVAILABLE when it cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address,
      std::vector<std::shared_ptr<prometheus::Collectable>> collectables);

  // Stops serving and joins the thread.
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  int port() const { return port_; }

 private:
  MetricsEndpoint(int listen_fd, int port,
                  std::vector<std::shared_ptr<prometheus::Collectable>> collectables);
  void Serve();
  void HandleConnection(int fd);
  std::string RenderMetrics() const;

  const int listen_fd_;
  const int port_;
  const std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  // Written to wake the serving thread's poll when stopping.
  int wake_fds_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace synesthesia::server

#endif  // SYNESTHESIA_SERVER_METRICS_ENDPOINT_H_
